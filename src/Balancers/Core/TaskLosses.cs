using NativeMtl.Models;

namespace NativeMtl.Balancers;

/// <summary>One forward pass and its losses: the shared feature z (for balancers that work at it), a device scalar
/// per task (with its graph), the losses of the training-only predictions by loss key (seed 001's auxiliary modules
/// and deep supervision, each already scaled by its weight, always added with weight 1 and never balanced), and,
/// when the balancer asks, each task's loss per class ([C], differentiable). The predictions are not kept: once
/// the losses are made, the graph holds what their backward passes read.</summary>
public sealed record TaskLosses(
    Tensor SharedFeature,
    IReadOnlyDictionary<string, Tensor> Losses,
    IReadOnlyDictionary<string, Tensor> AuxiliaryModuleLosses,
    IReadOnlyDictionary<string, Tensor> PerClassLosses);

/// <summary>Runs the model and the task losses on the step's batch, with the model's current parameters.
/// The look-ahead batch is a second batch, for balancers that re-evaluate after a virtual step (Auto-λ).</summary>
public interface ITaskObjective
{
    /// <summary>The losses on a batch; <paramref name="tasks"/> limits them (and the predictions they need) to some
    /// tasks, all when null.</summary>
    TaskLosses Evaluate(bool lookAheadBatch, bool perClass, IReadOnlyCollection<string>? tasks = null);
}
