using NativeMtl.Models;

namespace NativeMtl.Balancers;

/// <summary>
/// A loss-balancing algorithm. It declares the gradient level it needs; at each step it turns the task losses
/// into gradients in the parameter arenas (through <see cref="StepContext"/>'s services), and after the
/// optimizer's update it may adjust its own state. Its task weights live on the device and are read only when
/// a step is logged. State and counters go into checkpoints so a resumed run continues exactly.
/// </summary>
public interface IBalancer : IDisposable
{
    string Name { get; }

    GradientLevel Level { get; }

    /// <summary>Null when the balancer needs no <see cref="TaskLosses.PerClassLosses"/>; otherwise it needs them, and
    /// a continuous auxiliary task (depth, normals) is split into this many bins of its target.</summary>
    int? PerClassBins { get; }

    /// <summary>Called once with the tasks and the run's shape before the first step.</summary>
    void Attach(BalancerSetup setup);

    /// <summary>Parameters the balancer trains with the model's optimizer (uncertainty weights); may be empty.</summary>
    IReadOnlyList<ParameterGroup> ParameterGroups { get; }

    /// <summary>Fills the gradient arenas for this step.</summary>
    void Backward(StepContext step);

    /// <summary>Runs after the optimizer's update of this step.</summary>
    void AfterUpdate(StepContext step);

    /// <summary>The current weight of each task, a [K] device vector in task order.</summary>
    Tensor Weights { get; }

    /// <summary>Device state by name (restored by copying into these tensors).</summary>
    IEnumerable<(string Name, Tensor State)> State();

    /// <summary>Host counters (periods, epochs) by name, saved as checkpoint metadata.</summary>
    IReadOnlyDictionary<string, string> Counters { get; }

    void RestoreCounters(IReadOnlyDictionary<string, string> counters);
}

/// <summary>The tasks with their roles, where the balancer's tensors live, the run's length, the size of the shared
/// encoder (P), and how many classes each task's per-class losses have (for balancers that weigh classes).</summary>
public sealed record BalancerSetup(IReadOnlyList<BalancedTask> Tasks, DType DType, Device Device, int StepsPerEpoch, int TotalSteps,
    long EncoderSize, IReadOnlyDictionary<string, int> ClassCounts);
