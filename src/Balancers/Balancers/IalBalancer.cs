using NativeMtl.Kernels;
using NativeMtl.Models;
using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>
/// Impartial auxiliary learning (seed 002 and its authors' code). Each task has s_t = log σ_t, learned by the
/// model's optimizer from −½·ln 2. Decoder stage: the parameters after z and s are trained on
/// Σ_t (½·e^(−2 s_t)·L_t + s_t). Encoder stage at z: g = ∇_z L_0 + Σ_aux r_t·(‖∇_z L_0‖ / ‖∇_z L_t‖)·∇_z L_t with
/// r_t = clamp(1 − σ_t, 0, 1) (σ detached), then one backward pass from z. Options: <c>sign_mask</c> (false) zeroes
/// auxiliary entries whose sign conflicts with the main gradient before rescaling; <c>ema</c> (0 = off) smooths r
/// with that decay; <c>encoder</c> picks seed 002's ablations of the encoder stage (§IV-G, Table VIII): <c>both</c>
/// (the method), <c>gradient</c> (the norm re-scaling with a fixed r_t = <c>fixed_ratio</c>, 0.1 as the paper's
/// "Grad. (fix)"), <c>uncertainty</c> (r_t·∇_z L_t without the norm re-scaling). Its weights are r (1 for the main task).
/// </summary>
public sealed class IalBalancer(BalancerOptions options) : Balancer
{
    private readonly bool _signMask = options.Flag("sign_mask", false);
    private readonly double _ema = options.Number("ema", 0);
    private readonly string _encoder = options.Word("encoder", "both", "both", "gradient", "uncertainty");
    private readonly double _fixedRatio = options.Number("fixed_ratio", 0.1);
    private BalancerParameter? _s;
    private Tensor? _r, _auxiliaryMask;

    public override GradientLevel Level => GradientLevel.Feature;

    protected override bool RequiresOneMainTask => true;

    public override Tensor Weights => _r!;

    public override IReadOnlyList<ParameterGroup> ParameterGroups => [_s!.Group];

    /// <summary>s_t = log σ_t in task order.</summary>
    public Tensor LogSigma => _s!.Value;

    protected override void OnAttach()
    {
        if (_ema is < 0 or >= 1) throw new ArgumentException($"balancer ial: option 'ema' must be in [0, 1), got {_ema}");
        if (_fixedRatio is < 0 or > 1) throw new ArgumentException($"balancer ial: option 'fixed_ratio' must be in [0, 1], got {_fixedRatio}");
        _s = new BalancerParameter("ial", "log_sigma", Filled(-0.5 * Math.Log(2)));
        _auxiliaryMask = Vector(Tasks.Select(t => t.Role == TaskRole.Auxiliary ? 1.0 : 0.0).ToArray());
        _r = Filled(0);
        Ops.CopyInto(RatiosFromSigma(), _r);
    }

    public override void Backward(StepContext step)
    {
        List<string> order = [MainTask, .. AuxiliaryTaskNames];
        var features = Gradients.Stack(order.Select(step.FeatureGradient).ToList());
        UpdateRatios();

        var s = _s!.Value;
        var decoderWeights = Ops.MulAdd(Ops.Unary(UnaryOp.Exp, Ops.MulAdd(F.Detach(s), -2)), 0.5);
        step.ApplyHeadGradients(decoderWeights);
        F.Sum(F.Add(F.Mul(F.MulAdd(F.Exp(F.MulAdd(s, -2)), 0.5), F.Detach(step.LossVector)), s)).Backward();

        step.BackwardEncoder(Ops.Reshape(EncoderFeatureGradient(features, order), step.Current.SharedFeature.Shape.ToArray()));
    }

    /// <summary>g = g_main + Σ_aux r_t·(‖g_main‖ / ‖g_t‖)·g_t for feature gradients stacked main first (rows in
    /// <paramref name="order"/>), after the optional sign masking; without the norm ratio in the uncertainty-only
    /// ablation.</summary>
    internal Tensor EncoderFeatureGradient(Tensor features, IReadOnlyList<string> order)
    {
        var aligned = _signMask ? MaskConflicts(features) : features;
        var ratios = Gradients.Reorder(_r!, TaskNames, order);
        Tensor coefficients;
        if (_encoder == "uncertainty") coefficients = ratios;
        else
        {
            var norms = Ops.Unary(UnaryOp.Sqrt, Ops.Diagonal(Ops.GradientGram(aligned)));
            var scale = Ops.Div(Ops.Slice(norms, 0, 0, 1), Ops.Scalar(ScalarOp.Clamp, norms, 1e-30, double.PositiveInfinity));
            coefficients = Ops.Mul(ratios, scale);
        }
        Ops.CopyInto(Tensors.Ones(new Shape(1), coefficients.DType, coefficients.Device), Ops.Slice(coefficients, 0, 0, 1));
        return Ops.GradientCombine(aligned, coefficients);
    }

    /// <summary>r from the current σ, smoothed into the previous r when EMA is on.</summary>
    private void UpdateRatios()
    {
        var raw = RatiosFromSigma();
        Ops.CopyInto(_ema > 0 ? Ops.Add(Ops.MulAdd(_r!, _ema), Ops.MulAdd(raw, 1 - _ema)) : raw, _r!);
    }

    /// <summary>r = clamp(1 − σ, 0, 1) for the auxiliary tasks (σ = e^s, detached; the fixed ratio in the gradient-only
    /// ablation) and 1 for the main task.</summary>
    private Tensor RatiosFromSigma()
    {
        var sigma = Ops.Unary(UnaryOp.Exp, F.Detach(_s!.Value));
        var raw = _encoder == "gradient" ? Ops.MulAdd(sigma, 0, _fixedRatio) : Ops.Scalar(ScalarOp.Clamp, Ops.MulAdd(sigma, -1, 1), 0, 1);
        return Ops.Add(Ops.Mul(raw, _auxiliaryMask!), Ops.MulAdd(_auxiliaryMask!, -1, 1));
    }

    /// <summary>Each auxiliary row with the entries whose sign differs from the main row's set to zero.</summary>
    private static Tensor MaskConflicts(Tensor features)
    {
        var main = Ops.Slice(features, 0, 0, 1);
        var agree = Gradients.Positive(Ops.Mul(features, main));
        var masked = Ops.Mul(features, agree);
        Ops.CopyInto(main, Ops.Slice(masked, 0, 0, 1));
        return masked;
    }

    public override IEnumerable<(string Name, Tensor State)> State() => [("ial.r", _r!)];

    public override void Dispose()
    {
        _s?.Dispose();
        _r?.Dispose();
        _auxiliaryMask?.Dispose();
    }
}
