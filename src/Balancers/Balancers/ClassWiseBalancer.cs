using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>
/// Class-wise auxiliary weights (seed 003). Each auxiliary task t splits into per-class losses L_t^c (the mean loss
/// over its pixels of class c, the classes taken from the task itself: segmentation labels, or <c>bins</c> bins of
/// depth or of the normals' angle, 8 by default) with a weight w_t,c each, starting at 1: L = L_0 + Σ_t Σ_c w_t,c·L_t^c.
/// After a warm-up (option <c>warmup</c>, a fraction of training, 0.2), every step moves the weights by Adam with step
/// size <c>lr</c> (2e-4, the paper's) on g_t,c = −⟨∇_θ L_0, ∇_θ L_t^c⟩ over the encoder's parameters, keeping them
/// at or above 0. Option <c>mode</c>:
/// <list type="bullet">
/// <item><c>exact</c> (the default): the paper's rule, ∇L_0 at θ_t against ∇L_t^c at θ_{t−1} (the chain rule
/// through the last SGD step, learning rate folded in); 1 + Σ_t C_t encoder passes, and a C×P buffer of the previous
/// step's class gradients.</item>
/// <item><c>jvp</c>: both at θ_t (DESIGN §13's one-step approximation): ∇L_0 from one backward pass, one backward pass
/// of Σ w·L^c, then every class's inner product from one forward-mode pass along ∇L_0, whatever C is. The step trains
/// on the weights it started with and the update applies from the next step on (as AuxiLight's λ), so the tangent
/// pass runs after the graph is released.</item>
/// </list>
/// Its per-task weights are the mean class weight of each auxiliary task (1 for the main task);
/// <see cref="ClassWeights"/> holds them all.
/// </summary>
public sealed class ClassWiseBalancer(BalancerOptions options) : Balancer
{
    private readonly double _warmup = options.Number("warmup", 0.2);
    private readonly double _rate = options.Number("lr", 2e-4);
    private readonly int _bins = options.Integer("bins", DenseTaskObjective.DefaultBins);
    private readonly bool _forwardMode = options.Word("mode", "exact", "exact", "jvp") == "jvp";
    private Tensor? _classWeights, _m, _v, _previous, _weights;
    private int[] _classCounts = [];
    private int _updates;

    public override GradientLevel Level => GradientLevel.Parameters;

    public override int? PerClassBins => _bins;

    protected override bool RequiresOneMainTask => true;

    public override Tensor Weights => _weights!;

    /// <summary>Every auxiliary task's class weights, concatenated in task order.</summary>
    public Tensor ClassWeights => _classWeights!;

    private int WarmupSteps => (int)Math.Ceiling(_warmup * Setup.TotalSteps);

    protected override void OnAttach()
    {
        if (_warmup is < 0 or > 1) throw new ArgumentException($"balancer classwise: option 'warmup' must be in [0, 1], got {_warmup}");
        if (_bins < 2) throw new ArgumentException($"balancer classwise: option 'bins' must be at least 2, got {_bins}");
        _weights = Filled(1);
        _classCounts = AuxiliaryTaskNames.Select(t => Setup.ClassCounts.TryGetValue(t, out var c) && c > 0 ? c
            : throw new ArgumentException($"balancer classwise: auxiliary task '{t}' has no classes (segmentation, depth and normals have)")).ToArray();
        int total = _classCounts.Sum();
        _classWeights = Tensors.Ones(new Shape(total), Setup.DType, Setup.Device).DetachFromScope();
        _m = Filled(total, 0);
        _v = Filled(total, 0);
        if (!_forwardMode)
        {
            _previous = Tensors.Zeros(new Shape(total, checked((int)Setup.EncoderSize)), Setup.DType, Setup.Device).DetachFromScope();
            _previous.MemoryRole = MemoryRole.BalancerBuffer;
        }
    }

    public override void Backward(StepContext step)
    {
        if (_forwardMode && step.Step >= WarmupSteps) ForwardModeStep(step);
        // The exact rule needs the class rows of the step before its first update.
        else if (!_forwardMode && step.Step >= WarmupSteps - 1) ExactStep(step, ClassLosses(step.Current));
        else step.Backward(Total(step.Loss(MainTask), ClassLosses(step.Current)));
    }

    /// <summary>The paper's rule: a row per loss (main, then every class) written into a matrix; the main row against
    /// the previous step's class rows updates the weights, the class rows are kept for the next step, and the step
    /// trains on the main row plus the class rows weighted by the updated weights.</summary>
    private void ExactStep(StepContext step, Tensor classLosses)
    {
        var main = step.Loss(MainTask);
        int classes = classLosses.Shape[0];
        var rows = step.SharedGradientsOf([main, .. Enumerable.Range(0, classes).Select(c => F.Reshape(F.Slice(classLosses, 0, c, c + 1), []))]);
        if (step.Step >= WarmupSteps)
        {
            var gram = Ops.GradientGram(Ops.Concat(0, Ops.Slice(rows, 0, 0, 1), _previous!));
            UpdateWeights(Ops.Slice(Gradients.InnerProductsWithFirst(gram), 0, 1, gram.Shape[0]));
        }
        Ops.CopyInto(Ops.Slice(rows, 0, 1, classes + 1), _previous!);

        var coefficients = Ops.Concat(0, Tensors.Ones(new Shape(1), _classWeights!.DType, _classWeights.Device), _classWeights);
        step.AddSharedGradient(Ops.GradientCombine(rows, coefficients));
        step.BackwardHeads(Total(main, classLosses));
    }

    /// <summary>∇L_0 at θ_t from one backward pass (kept in a row, added to the arenas), one backward pass of Σ w·L^c that
    /// releases the graph, then every class's inner product with ∇L_0 from one forward-mode pass, still at θ_t, and the
    /// weights' update.</summary>
    private void ForwardModeStep(StepContext step)
    {
        using var main = new MainTaskGradient(step, _weights!, IndexOf(MainTask));
        step.Backward(F.Sum(F.Mul(ClassLosses(step.Current), F.Detach(_classWeights!))));
        var auxiliary = AuxiliaryTaskNames;
        UpdateWeights(step.DirectionalDerivatives(main.Row, auxiliary, losses => auxiliary.Select(t => losses.PerClassLosses[t]).ToList()));
    }

    /// <summary>L_0 + Σ w·L^c, the weights taken as constants.</summary>
    private Tensor Total(Tensor main, Tensor classLosses) => F.Add(main, F.Sum(F.Mul(classLosses, F.Detach(_classWeights!))));

    /// <summary>Every auxiliary task's per-class losses, concatenated in task order.</summary>
    private Tensor ClassLosses(TaskLosses losses)
    {
        var perClass = AuxiliaryTaskNames.Select(t => losses.PerClassLosses.TryGetValue(t, out var l) ? l
            : throw new InvalidOperationException($"balancer classwise: the objective gave no per-class losses for auxiliary task '{t}'")).ToList();
        for (int t = 0; t < perClass.Count; t++)
            if (perClass[t].Shape != new Shape(_classCounts[t]))
                throw new ShapeException("classwise", $"per-class losses of '{AuxiliaryTaskNames[t]}' are {perClass[t].Shape}, expected [{_classCounts[t]}]");
        return F.Concat(0, perClass.ToArray());
    }

    /// <summary>g_c = −(inner product of class c's gradient with the main task's), one Adam step on w, then w ≥ 0; each
    /// auxiliary task's weight becomes the mean of its class weights.</summary>
    private void UpdateWeights(Tensor innerProducts)
    {
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
    [
        ("classwise.weights", _weights!), ("classwise.class_weights", _classWeights!), ("classwise.exp_avg", _m!), ("classwise.exp_avg_sq", _v!),
        .. _previous is null ? [] : new[] { ("classwise.previous", _previous) },
    ];

    public override IReadOnlyDictionary<string, string> Counters => new Dictionary<string, string> { ["classwise.updates"] = _updates.ToString() };

    public override void RestoreCounters(IReadOnlyDictionary<string, string> counters) => _updates = int.Parse(counters["classwise.updates"]);

    public override void Dispose()
    {
        foreach (var t in new[] { _classWeights, _m, _v, _previous, _weights }) t?.Dispose();
    }
}
