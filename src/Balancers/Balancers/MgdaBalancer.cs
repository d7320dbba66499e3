using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>
/// MGDA (Sener and Koltun 2018, "Multi-Task Learning as Multi-Objective Optimization"): the shared parameters take
/// the minimum-norm point of the convex hull of the task gradients, Σ α_k·g_k with α = argmin on the simplex of
/// ‖Σ α_k g_k‖², solved exactly on the Gram matrix (LibMTL's Frank–Wolfe solver stops at 1e-5 and, for two tasks,
/// clips α to [0.001, 0.999]; the paper's problem has no such clip). Option <c>normalization</c> (LibMTL's mgda_gn):
/// <c>none</c> (the default), <c>l2</c> (g_k/‖g_k‖), <c>loss</c> (g_k/L_k) or <c>loss+</c> (g_k/(L_k·‖g_k‖)); the
/// shared parameters then take Σ α_k·g_k/n_k. Option <c>at: feature</c> solves on the gradients at the shared feature
/// z instead: MGDA-UB, the paper's upper-bound approximation.
/// </summary>
public sealed class MgdaBalancer(BalancerOptions options) : GramBalancer(options, featureAllowed: true)
{
    private readonly string _normalization = options.Word("normalization", "none", "none", "l2", "loss", "loss+");

    protected override double[] Coefficients(double[,] gram, StepContext step)
    {
        int k = gram.GetLength(0);
        var losses = _normalization.StartsWith("loss", StringComparison.Ordinal) ? Ops.Cast(step.LossVector, DType.Float64).ToArray<double>() : null;
        var norms = Enumerable.Range(0, k).Select(i => _normalization switch
        {
            "l2" => Math.Sqrt(gram[i, i]),
            "loss" => losses![i],
            "loss+" => losses![i] * Math.Sqrt(gram[i, i]),
            _ => 1.0,
        }).Select(n => n > 0 ? n : 1).ToArray();
        var scaled = new double[k, k];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) scaled[i, j] = gram[i, j] / (norms[i] * norms[j]);
        var alpha = Simplex.MinimumNorm(scaled);
        return alpha.Select((a, i) => a / norms[i]).ToArray();
    }
}
