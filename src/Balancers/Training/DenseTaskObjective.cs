using NativeMtl.Data;
using NativeMtl.Models;

namespace NativeMtl.Balancers;

/// <summary>
/// The losses of a multi-task model on a batch of dense samples: each task's loss on its prediction, the
/// losses of the training-only predictions (auxiliary modules, deep-supervision heads: the supervising task's loss times
/// the prediction's weight), and, when asked, each auxiliary task's loss per class of its own
/// (<see cref="DenseTask.Classes"/>: segmentation labels, or <paramref name="bins"/> bins of depth or of the normals'
/// angle), the classes of the class-wise balancer. The training loop sets the batch (and the look-ahead batch)
/// before each step.
/// </summary>
public sealed class DenseTaskObjective(MtlModel model, IReadOnlyList<DenseTask> tasks, int bins = DenseTaskObjective.DefaultBins) : ITaskObjective
{
    /// <summary>Bins of a continuous auxiliary task when the balancer names none.</summary>
    public const int DefaultBins = 8;

    public IReadOnlyList<DenseTask> Tasks { get; } = tasks;

    public DenseBatch? Batch { get; set; }

    public DenseBatch? LookAheadBatch { get; set; }

    /// <summary>How many classes each auxiliary task's per-class losses have; a task without classes is left out.</summary>
    public IReadOnlyDictionary<string, int> ClassCounts =>
        Tasks.Where(t => t.Role == TaskRole.Auxiliary && t.Classes is not null).ToDictionary(t => t.Name, t => t.Classes!.Count(bins));

    public TaskLosses Evaluate(bool lookAheadBatch, bool perClass, IReadOnlyCollection<string>? tasks = null)
    {
        var batch = (lookAheadBatch ? LookAheadBatch : Batch)
            ?? throw new InvalidOperationException(lookAheadBatch ? "no look-ahead batch was given to the objective" : "no batch was given to the objective");
        var wanted = Tasks.Where(t => tasks?.Contains(t.Name) ?? true).ToList();
        var output = model.Forward(batch.Image, wanted.Select(t => t.Name).ToList(), deferHeads: true);
        // Each task's prediction is made when its losses are, in a scope of its own that ends with them: what their
        // backward passes read stays saved in the graph, and one prediction lives at a time.
        var losses = new Dictionary<string, Tensor>();
        var perClassLosses = new Dictionary<string, Tensor>();
        foreach (var task in wanted)
        {
            using var scope = DisposeScope.Enter();
            var prediction = scope.Adopt(output.Take(task.Name));
            var (target, mask) = (task.Target(batch), task.Mask?.Invoke(batch));
            if (perClass && task.Role == TaskRole.Auxiliary && task.Classes is { } split)
            {
                // One per-pixel loss for both: its mean and its per-class means.
                var pixels = task.Loss.PerPixel(prediction, target, mask);
                losses[task.Name] = pixels.Mean().MoveToOuterScope();
                perClassLosses[task.Name] = pixels.PerClass(split.Map(batch, bins), split.Count(bins)).MoveToOuterScope();
            }
            else losses[task.Name] = task.Loss.Forward(prediction, target, mask).MoveToOuterScope();
        }
        var auxiliary = output.AuxiliaryOutputs.ToDictionary(p => p.Key, p => DisposeScope.Run(() =>
        {
            var (name, prediction, weight) = p.Value;
            var task = Tasks.Single(t => t.Name == name);
            var loss = task.Loss.Forward(prediction, task.Target(batch), task.Mask?.Invoke(batch));
            return weight == 1 ? loss : F.MulAdd(loss, weight);
        }));
        foreach (var prediction in output.AuxiliaryPredictions.Values) prediction.Dispose();
        return new TaskLosses(output.SharedFeature, losses, auxiliary, perClassLosses);
    }
}
