namespace NativeMtl;

/// <summary>What a tensor's storage is for, so that the memory counters can say where every byte goes. Storage
/// starts as <see cref="Activation"/>; its owner marks it otherwise (<see cref="Tensor.MemoryRole"/>).</summary>
public enum MemoryRole
{
    /// <summary>Anything a computation makes: saved for backward while a graph node holds it, transient otherwise.</summary>
    Activation,

    /// <summary>A model's parameter arena.</summary>
    Parameter,

    /// <summary>A model's gradient arena.</summary>
    Gradient,

    /// <summary>An optimizer's moments and momentum buffers.</summary>
    OptimizerState,

    /// <summary>What a balancer holds for its own work: K×P gradient rows, a saved copy of θ.</summary>
    BalancerBuffer,

    /// <summary>Batches of input and targets.</summary>
    Data,
}

/// <summary>Where live tensor bytes are at one moment (see <see cref="MemoryCounters.Breakdown"/>).
/// <see cref="SavedByOp"/> splits <see cref="Saved"/>: activations held by graph nodes, by the kind of the
/// first node that saved each storage. <see cref="SavedAll"/> counts every storage a node holds once,
/// parameters included: what PyTorch's saved-tensor hooks see.</summary>
public sealed record MemoryBreakdown(
    long Parameters, long Gradients, long OptimizerState, long BalancerBuffers, long Data, long Saved, long Transient,
    long SavedAll, IReadOnlyDictionary<string, long> SavedByOp)
{
    public long Total => Parameters + Gradients + OptimizerState + BalancerBuffers + Data + Saved + Transient;

    public static MemoryBreakdown Empty { get; } = new(0, 0, 0, 0, 0, 0, 0, 0, new Dictionary<string, long>());

    /// <summary>This breakdown less an earlier one: what a step added on top of what lived before it.</summary>
    public MemoryBreakdown Minus(MemoryBreakdown before) => new(
        Parameters - before.Parameters, Gradients - before.Gradients, OptimizerState - before.OptimizerState,
        BalancerBuffers - before.BalancerBuffers, Data - before.Data, Saved - before.Saved, Transient - before.Transient,
        SavedAll - before.SavedAll,
        SavedByOp.Keys.Union(before.SavedByOp.Keys)
            .Select(op => (op, bytes: SavedByOp.GetValueOrDefault(op) - before.SavedByOp.GetValueOrDefault(op)))
            .Where(e => e.bytes != 0)
            .ToDictionary(e => e.op, e => e.bytes));
}
