using NativeMtl.Kernels;
using NativeMtl.Models;
using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>Homoscedastic uncertainty weighting (Kendall et al. 2018) in LibMTL's form:
/// L = Σ_k L_k / (2·e^(s_k)) + s_k / 2, with s learned by the model's optimizer from <c>initial_log_variance</c> (−0.5).
/// Its weights are 1 / (2·e^(s_k)).</summary>
public sealed class UncertaintyBalancer(BalancerOptions options) : Balancer
{
    private readonly double _initial = options.Number("initial_log_variance", -0.5);
    private BalancerParameter? _s;
    private Tensor? _weights;

    public override GradientLevel Level => GradientLevel.Losses;

    public override Tensor Weights => _weights!;

    public override IReadOnlyList<ParameterGroup> ParameterGroups => [_s!.Group];

    protected override void OnAttach()
    {
        _s = new BalancerParameter("uncertainty", "log_variance", Filled(_initial));
        _weights = Filled(0);
        UpdateWeights();
    }

    public override void Backward(StepContext step)
    {
        var s = _s!.Value;
        var total = F.Sum(F.Add(F.Mul(step.LossVector, F.MulAdd(F.Exp(F.Neg(s)), 0.5)), F.MulAdd(s, 0.5)));
        step.Backward(total);
    }

    public override void AfterUpdate(StepContext step) => UpdateWeights();

    private void UpdateWeights() => Ops.CopyInto(Ops.MulAdd(Ops.Unary(UnaryOp.Exp, Ops.Unary(UnaryOp.Neg, _s!.Value)), 0.5), _weights!);

    public override void Dispose()
    {
        _s?.Dispose();
        _weights?.Dispose();
    }
}
