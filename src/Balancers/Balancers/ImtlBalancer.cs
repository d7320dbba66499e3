using NativeMtl.Kernels;
using NativeMtl.Models;
using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>
/// IMTL (Liu et al. 2021, "Towards Impartial Multi-task Learning"), option <c>variant</c>:
/// <list type="bullet">
/// <item><c>g</c> (IMTL-G, the default): the combination Σ α_k·g_k (Σ α = 1) whose projections onto every task's unit
/// gradient u_k = g_k/‖g_k‖ are equal. With D the rows g_1 − g_k and U the rows u_1 − u_k (k ≥ 2),
/// α_{2…K} = g_1·Uᵀ·(D·Uᵀ)⁻¹ and α_1 = 1 − Σ_{k≥2} α_k, all of it inner products, so it is solved on the Gram matrix.
/// Where the K − 1 conditions are singular (a zero or repeated gradient) the step takes the mean (α = 1/K).</item>
/// <item><c>l</c> (IMTL-L): losses scaled by learned s_k, trained with the model on Σ_k (e^(s_k)·L_k − s_k), s from 0.</item>
/// <item><c>h</c> (IMTL-H, the paper's full method and LibMTL's "IMTL"): IMTL-G on the gradients of the scaled losses
/// e^(s_k)·L_k (Gram matrix e^(s_i + s_j)·G_ij, coefficients α_k·e^(s_k)), heads on the scaled losses, s on IMTL-L's
/// loss.</item>
/// </list>
/// Option <c>at: feature</c> solves on the gradients at the shared feature (variants g and h).
/// </summary>
public sealed class ImtlBalancer(BalancerOptions options) : GramBalancer(options, featureAllowed: true)
{
    private readonly string _variant = options.Word("variant", "g", "g", "l", "h");
    private BalancerParameter? _s;
    private Tensor? _scales;

    public override GradientLevel Level => _variant == "l" ? GradientLevel.Losses : base.Level;

    public override Tensor Weights => _variant == "l" ? _scales! : base.Weights;

    public override IReadOnlyList<ParameterGroup> ParameterGroups => _s is null ? [] : [_s.Group];

    /// <summary>s_k, the learned log loss scales (variants l and h), in task order.</summary>
    public Tensor? LogScale => _s?.Value;

    protected override Tensor? HeadWeights => _scales;

    protected override void OnAttach()
    {
        base.OnAttach();
        if (_variant == "g") return;
        _s = new BalancerParameter("imtl", "log_scale", Filled(0));
        _scales = Filled(1);
    }

    public override void Backward(StepContext step)
    {
        var s = _s?.Value;
        if (s is null)
        {
            base.Backward(step);
            return;
        }
        Ops.CopyInto(Ops.Unary(UnaryOp.Exp, F.Detach(s)), _scales!);
        // IMTL-L's loss Σ (e^s·L − s): for l the whole step; for h only s learns from it (the losses detached), while
        // the shared parameters take IMTL-G's combination and each head its scaled loss's gradient.
        var losses = _variant == "l" ? step.LossVector : F.Detach(step.LossVector);
        var scaledLoss = F.Sum(F.Sub(F.Mul(F.Exp(s), losses), s));
        if (_variant == "l") step.Backward(scaledLoss);
        else
        {
            base.Backward(step);
            scaledLoss.Backward();
        }
    }

    protected override double[] Coefficients(double[,] gram, StepContext step)
    {
        if (_scales is null) return Solve(gram);
        var e = Ops.Cast(_scales, DType.Float64).ToArray<double>();
        int k = gram.GetLength(0);
        var scaled = new double[k, k];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) scaled[i, j] = e[i] * e[j] * gram[i, j];
        return Solve(scaled).Select((a, i) => a * e[i]).ToArray();
    }

    internal static double[] Solve(double[,] gram)
    {
        int k = gram.GetLength(0);
        if (k == 1) return [1];
        var norms = Enumerable.Range(0, k).Select(i => Math.Sqrt(gram[i, i])).ToArray();
        if (norms.Any(n => n == 0)) return Enumerable.Repeat(1.0 / k, k).ToArray();
        // ⟨g_a, u_b⟩ = G[a, b]/‖g_b‖. The row equation α·(D·Uᵀ) = g_1·Uᵀ is solved as m·α = r with m = (D·Uᵀ)ᵀ:
        // m[j, i] = ⟨g_1 − g_i, u_1 − u_j⟩ and r[j] = ⟨g_1, u_1 − u_j⟩ (indices from 2, stored from 0).
        double Gu(int a, int b) => gram[a, b] / norms[b];
        var m = new double[k - 1, k - 1];
        var r = new double[k - 1];
        for (int j = 1; j < k; j++)
        {
            r[j - 1] = Gu(0, 0) - Gu(0, j);
            for (int i = 1; i < k; i++)
                m[j - 1, i - 1] = Gu(0, 0) - Gu(0, j) - Gu(i, 0) + Gu(i, j);
        }
        if (LinearSystem.Solve(m, r) is not { } alpha) return Enumerable.Repeat(1.0 / k, k).ToArray();
        return [1 - alpha.Sum(), .. alpha];
    }

    public override void Dispose()
    {
        _s?.Dispose();
        _scales?.Dispose();
        base.Dispose();
    }
}
