namespace NativeMtl.Balancers;

/// <summary>
/// IMTL-G (Liu et al. 2021, "Towards Impartial Multi-task Learning"): the combination Σ α_k·g_k (Σ α = 1) whose
/// projections onto every task's unit gradient u_k = g_k/‖g_k‖ are equal. With D the rows g_1 − g_k and U the rows
/// u_1 − u_k (k ≥ 2), α_{2…K} = g_1·Uᵀ·(D·Uᵀ)⁻¹ and α_1 = 1 − Σ_{k≥2} α_k, all of it inner products of the gradients,
/// so it is solved on the Gram matrix. Where the K − 1 conditions are singular (a zero or repeated gradient) the
/// step takes the mean (α = 1/K). Option <c>at: feature</c> solves on the gradients at the shared feature.
/// (IMTL-L's learned loss scales and the hybrid IMTL-H are not part of this balancer.)
/// </summary>
public sealed class ImtlBalancer(BalancerOptions options) : GramBalancer(options, featureAllowed: true)
{
    protected override double[] Coefficients(double[,] gram, StepContext step) => Solve(gram);

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
}
