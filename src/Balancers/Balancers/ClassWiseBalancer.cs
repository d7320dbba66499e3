using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>
/// Class-wise auxiliary weights (seed 003). Each auxiliary task t splits into per-class losses L_t^c (the mean loss
/// over the pixels of class c) with a weight w_t,c each, starting at 1: L = L_0 + Σ_t Σ_c w_t,c·L_t^c. After a
/// warm-up (option <c>warmup</c>, a fraction of training, 0.2), every step takes
/// g_t,c = −⟨∇_θ L_0(θ_now), ∇_θ L_t^c(θ_previous)⟩ over the encoder's parameters (the chain rule through the last
/// SGD step, learning rate folded in) and moves the weights by Adam with step size <c>lr</c> (2e-4, the paper's),
/// keeping them at or above 0. Exact: 1 + Σ_t C_t encoder passes per updating step. Its per-task weights are the
/// mean class weight of each auxiliary task (1 for the main task); <see cref="ClassWeights"/> holds them all.
/// </summary>
public sealed class ClassWiseBalancer(BalancerOptions options) : Balancer
{
    private readonly double _warmup = options.Number("warmup", 0.2);
    private readonly double _rate = options.Number("lr", 2e-4);
    private Tensor? _classWeights, _m, _v, _previous, _weights;
    private int[] _classCounts = [];
    private int _updates;

    public override GradientLevel Level => GradientLevel.Parameters;

    public override bool NeedsPerClassLosses => true;

    protected override bool RequiresOneMainTask => true;

    public override Tensor Weights => _weights!;

    /// <summary>Every auxiliary task's class weights, concatenated in task order.</summary>
    public Tensor ClassWeights => _classWeights!;

    private int WarmupSteps => (int)Math.Ceiling(_warmup * Setup.TotalSteps);

    protected override void OnAttach()
    {
        if (_warmup is < 0 or > 1) throw new ArgumentException($"balancer classwise: option 'warmup' must be in [0, 1], got {_warmup}");
        _weights = Filled(1);
        _classCounts = AuxiliaryTaskNames.Select(t => Setup.ClassCounts.TryGetValue(t, out var c) && c > 0 ? c
            : throw new ArgumentException($"balancer classwise: auxiliary task '{t}' has no class count (per-class losses need one)")).ToArray();
        int total = _classCounts.Sum();
        _classWeights = Tensors.Ones(new Shape(total), Setup.DType, Setup.Device).DetachFromScope();
        _m = Filled(total, 0);
        _v = Filled(total, 0);
        _previous = Tensors.Zeros(new Shape(total, checked((int)Setup.EncoderSize)), Setup.DType, Setup.Device).DetachFromScope();
    }

    public override void Backward(StepContext step)
    {
        var perClass = AuxiliaryTaskNames.Select(t => step.Current.PerClassLosses.TryGetValue(t, out var l) ? l
            : throw new InvalidOperationException($"balancer classwise: the objective gave no per-class losses for auxiliary task '{t}'")).ToList();
        for (int t = 0; t < perClass.Count; t++)
            if (perClass[t].Shape != new Shape(_classCounts[t]))
                throw new ShapeException("classwise", $"per-class losses of '{AuxiliaryTaskNames[t]}' are {perClass[t].Shape}, expected [{_classCounts[t]}]");
        var classLosses = F.Concat(0, perClass.ToArray());
        var main = step.Loss(MainTask);

        bool rowsNeeded = step.Step >= WarmupSteps - 1;
        if (!rowsNeeded)
        {
            step.Backward(F.Add(main, F.Sum(F.Mul(classLosses, F.Detach(_classWeights!)))));
            return;
        }
        var rows = step.SharedGradientsOf([main, .. Enumerable.Range(0, classLosses.Shape[0]).Select(c => F.Reshape(F.Slice(classLosses, 0, c, c + 1), []))]);
        int classes = classLosses.Shape[0];
        if (step.Step >= WarmupSteps) UpdateWeights(Ops.Slice(rows, 0, 0, 1));
        Ops.CopyInto(Ops.Slice(rows, 0, 1, classes + 1), _previous!);

        var coefficients = Ops.Concat(0, Tensors.Ones(new Shape(1), _classWeights!.DType, _classWeights.Device), _classWeights);
        step.AddSharedGradient(Ops.GradientCombine(rows, coefficients));
        step.BackwardHeads(F.Add(main, F.Sum(F.Mul(classLosses, F.Detach(_classWeights)))));
    }

    /// <summary>g_c = −⟨∇L_0 now, ∇L^c at the previous step⟩, one Adam step on w, then w ≥ 0.</summary>
    private void UpdateWeights(Tensor mainRow)
    {
        var gram = Ops.GradientGram(Ops.Concat(0, mainRow, _previous!));
        var innerProducts = Ops.Slice(Gradients.InnerProductsWithFirst(gram), 0, 1, gram.Shape[0]);
        Ops.AdamStep(_classWeights!, Ops.Contiguous(Ops.MulAdd(innerProducts, -1)), _m!, _v!, new AdamOptions(_rate), ++_updates);
        Ops.CopyInto(Ops.Scalar(ScalarOp.Clamp, _classWeights!, 0, double.PositiveInfinity), _classWeights!);
        int start = 0;
        for (int t = 0; t < _classCounts.Length; t++)
        {
            int index = IndexOf(AuxiliaryTaskNames[t]);
            Ops.CopyInto(Ops.Mean(Ops.Slice(_classWeights!, 0, start, start + _classCounts[t])), Ops.Reshape(Ops.Slice(_weights!, 0, index, index + 1), []));
            start += _classCounts[t];
        }
    }

    public override IEnumerable<(string Name, Tensor State)> State() =>
        [("classwise.weights", _weights!), ("classwise.class_weights", _classWeights!), ("classwise.exp_avg", _m!), ("classwise.exp_avg_sq", _v!), ("classwise.previous", _previous!)];

    public override IReadOnlyDictionary<string, string> Counters => new Dictionary<string, string> { ["classwise.updates"] = _updates.ToString() };

    public override void RestoreCounters(IReadOnlyDictionary<string, string> counters) => _updates = int.Parse(counters["classwise.updates"]);

    public override void Dispose()
    {
        foreach (var t in new[] { _classWeights, _m, _v, _previous, _weights }) t?.Dispose();
    }
}
