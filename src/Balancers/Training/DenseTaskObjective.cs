using NativeMtl.Data;
using NativeMtl.Models;

namespace NativeMtl.Balancers;

/// <summary>
/// The losses of a multi-task model on a batch of dense samples: each task's loss on its prediction, the
/// auxiliary modules' losses on theirs, and, when asked, each auxiliary task's loss per segmentation class (the
/// class map of the class-wise balancer). The training loop sets the batch (and the look-ahead batch) before
/// each step.
/// </summary>
public sealed class DenseTaskObjective(MtlModel model, IReadOnlyList<DenseTask> tasks, int classes) : ITaskObjective
{
    public IReadOnlyList<DenseTask> Tasks { get; } = tasks;

    public DenseBatch? Batch { get; set; }

    public DenseBatch? LookAheadBatch { get; set; }

    /// <summary>How many classes each auxiliary task's per-class losses have (the segmentation classes).</summary>
    public IReadOnlyDictionary<string, int> ClassCounts =>
        Tasks.Where(t => t.Role == TaskRole.Auxiliary).ToDictionary(t => t.Name, _ => classes);

    public TaskLosses Evaluate(bool lookAheadBatch, bool perClass)
    {
        var batch = (lookAheadBatch ? LookAheadBatch : Batch)
            ?? throw new InvalidOperationException(lookAheadBatch ? "no look-ahead batch was given to the objective" : "no batch was given to the objective");
        var output = model.Forward(batch.Image);
        // Each loss is made in a scope of its own, and the predictions' handles go once all are made: what the
        // losses' backward passes read stays saved in the graph, and nothing else outlives this call.
        var losses = Tasks.ToDictionary(t => t.Name, t => DisposeScope.Run(() =>
            t.Loss.Forward(output.Predictions[t.Name], t.Target(batch), t.Mask?.Invoke(batch))));
        var auxiliary = output.AuxiliaryPredictions.ToDictionary(p => p.Key, p => DisposeScope.Run(() =>
        {
            var task = Tasks.Single(t => t.Name == p.Key);
            return task.Loss.Forward(p.Value, task.Target(batch), task.Mask?.Invoke(batch));
        }));
        var perClassLosses = perClass
            ? Tasks.Where(t => t.Role == TaskRole.Auxiliary).ToDictionary(t => t.Name, t => DisposeScope.Run(() =>
                t.Loss.PerClass(output.Predictions[t.Name], t.Target(batch), batch.Labels, classes, t.Mask?.Invoke(batch))))
            : new Dictionary<string, Tensor>();
        foreach (var prediction in output.Predictions.Values.Concat(output.AuxiliaryPredictions.Values)) prediction.Dispose();
        return new TaskLosses(output.SharedFeature, losses, auxiliary, perClassLosses);
    }
}
