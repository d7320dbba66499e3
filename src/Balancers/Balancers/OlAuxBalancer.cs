using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>
/// OL-AUX (Lin et al. 2019), at the shared feature: L = L_0 + Σ_i λ_i L_i, and every N steps (option <c>every</c>, 5)
/// λ_i ← λ_i + β·Σ over those steps of ⟨∇_z L_0, ∇_z L_i⟩ (option <c>beta</c>, 0.1; λ starts at <c>initial_weight</c>, 1,
/// and stays at or above 0).
/// </summary>
public sealed class OlAuxBalancer(BalancerOptions options) : Balancer
{
    private readonly int _every = options.Integer("every", 5);
    private readonly double _beta = options.Number("beta", 0.1);
    private readonly double _initial = options.Number("initial_weight", 1);
    private Tensor? _lambda, _accumulated, _auxiliaryMask;

    public override GradientLevel Level => GradientLevel.Feature;

    protected override bool RequiresOneMainTask => true;

    public override Tensor Weights => _lambda!;

    protected override void OnAttach()
    {
        if (_every < 1) throw new ArgumentException($"balancer olaux: option 'every' must be at least 1, got {_every}");
        _lambda = Vector(Tasks.Select(t => t.Role == TaskRole.Main ? 1.0 : _initial).ToArray());
        _accumulated = Filled(0);
        _auxiliaryMask = Vector(Tasks.Select(t => t.Role == TaskRole.Auxiliary ? 1.0 : 0.0).ToArray());
    }

    public override void Backward(StepContext step)
    {
        List<string> order = [MainTask, .. AuxiliaryTaskNames];
        var features = Gradients.Stack(order.Select(step.FeatureGradient).ToList());
        var combined = Ops.GradientCombine(features, Gradients.Reorder(_lambda!, TaskNames, order));
        step.BackwardEncoder(Ops.Reshape(combined, step.Current.SharedFeature.Shape.ToArray()));
        step.ApplyHeadGradients(_lambda!);
        Ops.AddInto(_accumulated!, Gradients.Reorder(Gradients.InnerProductsWithFirst(Ops.GradientGram(features)), order, TaskNames));
    }

    public override void AfterUpdate(StepContext step)
    {
        if ((step.Step + 1) % _every != 0) return;
        var moved = Ops.Add(_lambda!, Ops.Mul(_auxiliaryMask!, Ops.MulAdd(_accumulated!, _beta)));
        Ops.CopyInto(Ops.Scalar(ScalarOp.Clamp, moved, 0, double.PositiveInfinity), _lambda!);
        Ops.FillInto(_accumulated!, 0);
    }

    public override IEnumerable<(string Name, Tensor State)> State() => [("olaux.lambda", _lambda!), ("olaux.accumulated", _accumulated!)];

    public override void Dispose()
    {
        foreach (var t in new[] { _lambda, _accumulated, _auxiliaryMask }) t?.Dispose();
    }
}
