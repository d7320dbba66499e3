namespace NativeMtl.Models;

/// <summary>Updates whole parameter groups in place, one kernel per group, from the gradients in their arenas.</summary>
public abstract class Optimizer : IDisposable
{
    protected Optimizer(IEnumerable<ParameterGroup> groups, double learningRate)
    {
        Groups = groups.ToList();
        if (Groups.Count == 0) throw new ArgumentException($"{GetType().Name}: no parameter groups to optimize");
        LearningRate = learningRate;
    }

    public IReadOnlyList<ParameterGroup> Groups { get; }

    /// <summary>The rate the next step uses; a schedule sets it before each step.</summary>
    public double LearningRate { get; set; }

    /// <summary>The weight decay of the optimizer's options (coupled for SGD and Adam, decoupled for AdamW): what a
    /// look-ahead that imitates a step adds as weight decay·θ.</summary>
    public abstract double WeightDecay { get; }

    /// <summary>Steps taken so far; saved with the state so a resumed run continues exactly.</summary>
    public int Steps { get; set; }

    public void ZeroGrad()
    {
        foreach (var g in Groups) g.ZeroGrad();
    }

    public void Step()
    {
        for (int i = 0; i < Groups.Count; i++) Update(i, Groups[i]);
        Steps++;
    }

    protected abstract void Update(int index, ParameterGroup group);

    /// <summary>The optimizer's state tensors by name, for checkpoints (restored by copying into them).</summary>
    public abstract IEnumerable<(string Name, Tensor State)> State();

    public abstract void Dispose();

    /// <summary>A zeroed state tensor per group, counted as optimizer state.</summary>
    protected static Tensor[] ZerosFor(IReadOnlyList<ParameterGroup> groups) =>
        groups.Select(g =>
        {
            var state = Tensors.ZerosLike(g.Values).DetachFromScope();
            state.MemoryRole = MemoryRole.OptimizerState;
            return state;
        }).ToArray();
}
