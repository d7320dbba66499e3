using NativeMtl.Balancers;
using NativeMtl.Data;
using NativeMtl.Models;
using NativeMtl.Pose;

namespace NativeMtl.Host.Training;

/// <summary>Each task's validation metrics by name ("miou", "abs_err", "mean", "loss", ...), in task order; with the pose
/// task, the panel of its first samples' poses (an SVG, <see cref="PosePanel"/>).</summary>
internal sealed record ValidationMetrics(IReadOnlyList<(string Task, IReadOnlyList<MetricValue> Metrics)> Tasks, string? PosePanel = null)
{
    public double this[string task, string metric] => Tasks.Single(t => t.Task == task).Metrics.Single(m => m.Name == metric).Value;
}

/// <summary>
/// Runs the model in evaluation mode over a whole validation set and pools each task's metrics over every pixel:
/// segmentation mIoU and pixel accuracy, depth errors and δ thresholds, normal angles, the pose task's ADD(-S) accuracy and
/// pose errors (<see cref="PoseMetric"/>), and every task's mean loss.
/// Evaluation changes nothing a training run carries on with (batch norm uses its running statistics; dropout is off
/// and draws nothing).
/// </summary>
internal static class Validation
{
    public static ValidationMetrics Run(MtlModel model, IReadOnlyList<DenseTask> tasks, int classes, IDenseDataset dataset,
        BatchLoaderOptions options, CancellationToken cancellation)
    {
        bool wasTraining = model.Training;
        model.Eval();
        try
        {
            // On the pose data the dense tasks live on the object's pixels only: their losses (masked) are their measure.
            var metrics = tasks.ToDictionary(t => t.Name, t => dataset is PoseCrops ? null : Metric(t, classes));
            var pose = tasks.Any(t => t.Name == "pose") && dataset is PoseCrops crops ? new PoseMetric(crops) : null;
            var lossSums = tasks.ToDictionary(t => t.Name, _ => 0.0);
            long samples = 0;
            using var loader = new BatchLoader(dataset, options);
            using var noGrad = GradMode.NoGrad();
            while (true)
            {
                using var scope = DisposeScope.Enter();
                using var batch = loader.Next(cancellation);
                if (batch is null) break;
                var output = model.Forward(batch.Image);
                foreach (var task in tasks)
                {
                    var prediction = output.Predictions[task.Name];
                    var target = task.Target(batch);
                    metrics[task.Name]?.Update(prediction, target);
                    if (task.Name == "pose") pose?.Update(prediction, batch);
                    lossSums[task.Name] += task.Loss.Forward(prediction, target, task.Mask?.Invoke(batch)).Item() * batch.Count;
                }
                samples += batch.Count;
            }
            return new ValidationMetrics(tasks.Select(t => (t.Name,
                (IReadOnlyList<MetricValue>)[.. metrics[t.Name]?.Compute() ?? [], .. t.Name == "pose" ? pose?.Compute() ?? [] : [],
                    MetricValue.Of("loss", lossSums[t.Name] / samples)])).ToList(), pose?.Panel());
        }
        finally
        {
            model.Train(wasTraining);
        }
    }

    /// <summary>The metric of a task: a registered task's own, or a built-in task's by its name; curvature has none
    /// besides its loss.</summary>
    private static ITaskMetric? Metric(DenseTask task, int classes) => task.Metric?.Invoke() ?? task.Name switch
    {
        "seg" => new SegmentationMetric(classes),
        "depth" => new DepthMetric(),
        "normal" => new NormalMetric(),
        _ => null,
    };
}
