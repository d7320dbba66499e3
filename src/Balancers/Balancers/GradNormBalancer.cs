using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>
/// GradNorm (Chen et al. 2018) on the weights of the last shared layer W. With G_k = w_k·‖∇_W L_k‖,
/// L̃_k = L_k / L_k(first step) and r_k = L̃_k / mean(L̃), the weights descend
/// L_grad = Σ_k |G_k − mean(G)·r_k^α| (the target held constant) with step size <c>weight_lr</c> (0.025), then are
/// renormalized to sum to K. Options <c>alpha</c> (1.5) and <c>weight_lr</c>. One pass per task reaches W (and stops there), and one
/// backward pass of Σ w_k L_k updates the model.
/// </summary>
public sealed class GradNormBalancer(BalancerOptions options) : Balancer
{
    private readonly double _alpha = options.Number("alpha", 1.5);
    private readonly double _weightRate = options.Number("weight_lr", 0.025);
    private Tensor? _weights, _initialLosses;
    private bool _started;

    public override GradientLevel Level => GradientLevel.Parameters;

    public override Tensor Weights => _weights!;

    protected override void OnAttach()
    {
        _weights = Filled(1);
        _initialLosses = Filled(1);
    }

    public override void Backward(StepContext step)
    {
        var losses = F.Detach(step.LossVector);
        if (!_started)
        {
            Ops.CopyInto(losses, _initialLosses!);
            _started = true;
        }
        var layer = LastSharedWeight(step);
        var norms = Ops.Concat(0, Tasks.Select(t => Ops.Reshape(Ops.Reduce(ReduceOp.L2Norm, step.ParameterGradient(t.Name, layer), []), 1)).ToArray());
        step.Backward(step.WeightedSum(_weights!));

        var g = Ops.Mul(_weights!, norms);
        var ratios = Ops.Div(losses, _initialLosses!);
        var relative = Ops.Div(ratios, Ops.Mean(ratios));
        var target = Ops.Mul(Ops.Mean(g), Ops.Scalar(ScalarOp.Pow, relative, _alpha));
        var gradient = Ops.Mul(Ops.Unary(UnaryOp.Sign, Ops.Sub(g, target)), norms);
        var updated = Ops.Scalar(ScalarOp.Clamp, Ops.Sub(_weights!, Ops.MulAdd(gradient, _weightRate)), 1e-8, double.PositiveInfinity);
        Ops.CopyInto(Ops.MulAdd(Ops.Div(updated, Ops.Sum(updated)), Tasks.Count), _weights!);
    }

    /// <summary>The last multi-dimensional parameter of the encoder (its last convolution's weight).</summary>
    private static Tensor LastSharedWeight(StepContext step) => step.Encoder.Members.Last(m => m.Parameter.Shape.Rank >= 2).Parameter.Value;

    public override IEnumerable<(string Name, Tensor State)> State() => [("gradnorm.weights", _weights!), ("gradnorm.initial_losses", _initialLosses!)];

    public override IReadOnlyDictionary<string, string> Counters => new Dictionary<string, string> { ["gradnorm.started"] = _started.ToString() };

    public override void RestoreCounters(IReadOnlyDictionary<string, string> counters) => _started = bool.Parse(counters["gradnorm.started"]);

    public override void Dispose()
    {
        _weights?.Dispose();
        _initialLosses?.Dispose();
    }
}
