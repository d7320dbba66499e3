using NativeMtl.Models;
using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>Shared plumbing: task bookkeeping, device scalars, and no state unless a balancer adds some.</summary>
public abstract class Balancer : IBalancer
{
    private BalancerSetup? _setup;

    public string Name => BalancerRegistry.NameOf(GetType());

    public abstract GradientLevel Level { get; }

    public virtual int? PerClassBins => null;

    protected BalancerSetup Setup => _setup ?? throw new InvalidOperationException($"balancer {Name} is used before Attach");

    protected IReadOnlyList<BalancedTask> Tasks => Setup.Tasks;

    protected IReadOnlyList<string> TaskNames => Setup.Tasks.Select(t => t.Name).ToList();

    /// <summary>The single main task of an auxiliary-learning balancer.</summary>
    protected string MainTask => Tasks.Single(t => t.Role == TaskRole.Main).Name;

    protected IReadOnlyList<string> AuxiliaryTaskNames => Tasks.Where(t => t.Role == TaskRole.Auxiliary).Select(t => t.Name).ToList();

    public void Attach(BalancerSetup setup)
    {
        if (_setup is not null) throw new InvalidOperationException($"balancer {Name} is already attached");
        if (setup.Tasks.Count == 0) throw new ArgumentException($"balancer {Name}: no tasks");
        if (RequiresOneMainTask)
        {
            int mains = setup.Tasks.Count(t => t.Role == TaskRole.Main);
            if (mains != 1 || setup.Tasks.Count < 2)
                throw new ArgumentException($"balancer {Name} needs exactly one main task and at least one auxiliary task, got {mains} main of {setup.Tasks.Count}");
        }
        _setup = setup;
        OnAttach();
    }

    /// <summary>Auxiliary-learning balancers (AuxiLight, GradSim, OL-AUX, IAL, class-wise) weigh auxiliary
    /// tasks against one main task.</summary>
    protected virtual bool RequiresOneMainTask => false;

    protected virtual void OnAttach()
    {
    }

    public virtual IReadOnlyList<ParameterGroup> ParameterGroups => [];

    public abstract void Backward(StepContext step);

    public virtual void AfterUpdate(StepContext step)
    {
    }

    public abstract Tensor Weights { get; }

    public virtual IEnumerable<(string Name, Tensor State)> State() => [];

    public virtual IReadOnlyDictionary<string, string> Counters => new Dictionary<string, string>();

    public virtual void RestoreCounters(IReadOnlyDictionary<string, string> counters)
    {
    }

    public virtual void Dispose() => GC.SuppressFinalize(this);

    /// <summary>A [K] device vector the balancer owns (it outlives every step's scope).</summary>
    protected Tensor Vector(params double[] values)
    {
        using var exact = Tensors.FromArray(values, new Shape(values.Length), Setup.Device).DetachFromScope();
        return Ops.Cast(exact, Setup.DType).DetachFromScope();
    }

    /// <summary>The [K] vector with one value for every task.</summary>
    protected Tensor Filled(double value) => Filled(Tasks.Count, value);

    /// <summary>A vector of the given length filled with one value, owned by the balancer.</summary>
    protected Tensor Filled(int length, double value) => Tensors.Full(new Shape(length), value, Setup.DType, Setup.Device).DetachFromScope();

    /// <summary>The position of a task in <see cref="Tasks"/> (and in every [K] vector).</summary>
    protected int IndexOf(string task) => Tasks.Select(t => t.Name).ToList().IndexOf(task);
}
