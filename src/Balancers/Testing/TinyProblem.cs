using NativeMtl.Kernels;
using NativeMtl.Models;
using NativeMtl.Raw;

// A toy problem for testing balancers by hand, the engine's own and those written elsewhere (samples/FocalLoss tests
// its balancer on it): it ships in the package for that.
namespace NativeMtl.Balancers.Testing;

/// <summary>A Float64 multi-task model small enough to check balancers by hand: z = tanh(1×1 conv(x)) and one
/// 1×1 conv head per task, trained on mean squared errors. Task "a" is main, "b" and "c" auxiliary.</summary>
public sealed class TinyModel : MtlModel
{
    public TinyModel(IReadOnlyList<string> tasks, ulong seed = 1) : base("tiny", new ArchitectureOptions
    {
        Tasks = tasks.Select(t => new TaskSpec(t, 1, TaskKind.Regression)).ToList(),
        Seed = seed,
        DType = DType.Float64,
    })
    {
        Encoder = AddModule("encoder", Context.Conv(2, 3, 1, bias: true));
        var heads = AddModule("heads", new ModuleDict<Layer>());
        foreach (var t in Tasks) heads.Add(t.Name, Context.Conv(3, 1, 1, bias: true));
        Heads = heads;
    }

    public Conv2d Encoder { get; }

    public ModuleDict<Layer> Heads { get; }

    public override int InChannels => 2;

    public override IReadOnlyList<Parameter> LastSharedLayer => [Encoder.Weight];

    protected override MtlOutput ForwardCore(Tensor x, IReadOnlySet<string> tasks)
    {
        var z = F.Tanh(Encoder.Forward(x));
        return new MtlOutput(z, Tasks.ToDictionary(t => t.Name, t => Heads[t.Name].Forward(z)));
    }

    protected override IEnumerable<(string Group, string[] Prefixes)> GroupLayout() =>
        [("encoder", ["encoder."]), .. Tasks.Select(t => ($"heads.{t.Name}", new[] { $"heads.{t.Name}." }))];
}

/// <summary>Mean squared error of each head against fixed targets; the look-ahead batch has other inputs.</summary>
public sealed class TinyObjective(TinyModel model, ulong seed = 5) : ITaskObjective
{
    private readonly Tensor _x = Tensors.Normal(new Shape(2, 2, 3, 3), new Generator(seed), dtype: DType.Float64).DetachFromScope();
    private readonly Tensor _xAhead = Tensors.Normal(new Shape(2, 2, 3, 3), new Generator(seed + 100), dtype: DType.Float64).DetachFromScope();
    private readonly Dictionary<string, Tensor> _targets = model.Tasks.Select((t, i) =>
        (t.Name, Tensors.Normal(new Shape(2, 1, 3, 3), new Generator(seed + 10 + (ulong)i), dtype: DType.Float64).DetachFromScope()))
        .ToDictionary(p => p.Name, p => p.Item2);

    public int Evaluations { get; private set; }

    public Func<Tensor, string, Tensor>? PerClass { get; init; }

    public TaskLosses Evaluate(bool lookAheadBatch, bool perClass, IReadOnlyCollection<string>? tasks = null)
    {
        Evaluations++;
        var output = model.Forward(lookAheadBatch ? _xAhead : _x);
        var losses = output.Predictions.ToDictionary(p => p.Key, p => F.Mean(F.Square(F.Sub(p.Value, _targets[p.Key]))));
        var classes = perClass && PerClass is { } split
            ? output.Predictions.ToDictionary(p => p.Key, p => split(F.Square(F.Sub(p.Value, _targets[p.Key])), p.Key))
            : new Dictionary<string, Tensor>();
        return new TaskLosses(output.SharedFeature, losses, new Dictionary<string, Tensor>(), classes);
    }
}

public static class TinyProblem
{
    public static readonly BalancedTask[] AuxiliarySetup = [new("a", TaskRole.Main), new("b", TaskRole.Auxiliary), new("c", TaskRole.Auxiliary)];

    public static MultiTaskStep Step(TinyModel model, IBalancer balancer, IReadOnlyList<BalancedTask>? tasks = null, double lr = 0.1,
        int stepsPerEpoch = 4, int totalSteps = 100, IReadOnlyDictionary<string, int>? classCounts = null) =>
        new(model, tasks ?? AuxiliarySetup, balancer, groups => new Sgd(groups, new SgdOptions(lr)), stepsPerEpoch, totalSteps, classCounts);

    /// <summary>∂L_t/∂θ_encoder of each task at the model's current parameters, flattened in arena order.</summary>
    public static double[][] EncoderGradients(TinyModel model, ITaskObjective objective, params string[] tasks)
    {
        using var scope = DisposeScope.Enter();
        var losses = objective.Evaluate(false, false);
        var parameters = model.ParameterGroups.Encoder.Members.Select(m => m.Parameter.Value).ToArray();
        return tasks.Select(t => Autograd.Grad([losses.Losses[t]], parameters, retainGraph: true).SelectMany(g => g.ToArray<double>()).ToArray()).ToArray();
    }

    /// <summary>∂L_t/∂(head t) for every task, flattened in arena order: what each head takes, unweighted.</summary>
    public static Dictionary<string, double[]> HeadGradients(TinyModel model, TinyObjective objective)
    {
        using var scope = DisposeScope.Enter();
        var losses = objective.Evaluate(false, false);
        return model.Tasks.ToDictionary(t => t.Name, t =>
        {
            var parameters = model.ParameterGroups[$"heads.{t.Name}"].Members.Select(m => m.Parameter.Value).ToArray();
            return Autograd.Grad([losses.Losses[t.Name]], parameters, retainGraph: true).SelectMany(g => g.ToArray<double>()).ToArray();
        });
    }

    /// <summary>Balancer options from (key, value) pairs.</summary>
    public static BalancerOptions Options(params (string Key, object Value)[] values) =>
        new(values.ToDictionary(v => v.Key, v => (object?)v.Value));

    public static double Dot(double[] a, double[] b) => a.Zip(b, (x, y) => x * y).Sum();

    public static double[] Values(Tensor t) => Ops.Cast(t, DType.Float64).ToArray<double>();
}
