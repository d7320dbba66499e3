using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>
/// GradNorm (Chen et al. 2018) on the weights of the last shared layer W (the model's
/// <see cref="Models.MtlModel.LastSharedLayer"/>: the encoder's last convolution on its main path). With G_k = w_k·‖∇_W L_k‖,
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
        var layer = step.Model.LastSharedLayer.Select(p => p.Value).ToList();
        var norms = Ops.Concat(0, Tasks.Select(t => Ops.Reshape(Norm(step, t.Name, layer), 1)).ToArray());
        step.Backward(step.WeightedSum(_weights!));
        Ops.CopyInto(Update(_weights!, norms, Ops.Div(losses, _initialLosses!), _alpha, _weightRate), _weights!);
    }

    /// <summary>One step of the weights from the norms n_k = ‖∇_W L_k‖ and the loss ratios L_k/L_k(first step): the
    /// sign-gradient of L_grad with the target held constant, then renormalisation to sum K.</summary>
    internal static Tensor Update(Tensor weights, Tensor norms, Tensor ratios, double alpha, double rate)
    {
        var g = Ops.Mul(weights, norms);
        var relative = Ops.Div(ratios, Ops.Mean(ratios));
        var target = Ops.Mul(Ops.Mean(g), Ops.Scalar(ScalarOp.Pow, relative, alpha));
        var gradient = Ops.Mul(Ops.Unary(UnaryOp.Sign, Ops.Sub(g, target)), norms);
        var updated = Ops.Scalar(ScalarOp.Clamp, Ops.Sub(weights, Ops.MulAdd(gradient, rate)), 1e-8, double.PositiveInfinity);
        return Ops.MulAdd(Ops.Div(updated, Ops.Sum(updated)), weights.Shape[0]);
    }

    /// <summary>‖∇_W L_task‖ over all of W's tensors.</summary>
    private static Tensor Norm(StepContext step, string task, IReadOnlyList<Tensor> layer) =>
        Ops.Unary(UnaryOp.Sqrt, Ops.Sum(Ops.Concat(0, step.ParameterGradients(task, layer)
            .Select(g => Ops.Reshape(Ops.Reduce(ReduceOp.Sum, Ops.Unary(UnaryOp.Square, g), []), 1)).ToArray())));

    public override IEnumerable<(string Name, Tensor State)> State() => [("gradnorm.weights", _weights!), ("gradnorm.initial_losses", _initialLosses!)];

    public override IReadOnlyDictionary<string, string> Counters => new Dictionary<string, string> { ["gradnorm.started"] = _started.ToString() };

    public override void RestoreCounters(IReadOnlyDictionary<string, string> counters) => _started = bool.Parse(counters["gradnorm.started"]);

    public override void Dispose()
    {
        _weights?.Dispose();
        _initialLosses?.Dispose();
    }
}
