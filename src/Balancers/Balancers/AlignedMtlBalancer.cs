namespace NativeMtl.Balancers;

/// <summary>
/// Aligned-MTL (Senushkin et al. 2023, "Independent Component Alignment for Multi-Task Learning"): the gradient matrix
/// is replaced by its closest matrix whose singular values all equal the smallest nonzero one, σ_min·U·Vᵀ, and the
/// shared parameters take the sum of its rows. From the Gram matrix G = V·Λ·Vᵀ (rank R: eigenvalues above
/// λ_max·K·ε with ε Float32's machine epsilon, as the official code and LibMTL cut them), that sum is Σ α_k·g_k with
/// α the column sums of B = √λ_R·V_R·Λ_R^(−½)·V_Rᵀ. Option <c>at: feature</c> aligns the gradients at the shared feature.
/// </summary>
public sealed class AlignedMtlBalancer(BalancerOptions options) : GramBalancer(options, featureAllowed: true)
{
    protected override double[] Coefficients(double[,] gram, StepContext step) => Solve(gram);

    internal static double[] Solve(double[,] gram)
    {
        int k = gram.GetLength(0);
        var (values, vectors) = SymmetricEigen.Decompose(gram);
        double tolerance = values[0] * k * (MathF.BitIncrement(1f) - 1f);
        int rank = values.Count(v => v > tolerance);
        if (rank == 0) return new double[k];
        double smallest = Math.Sqrt(values[rank - 1]);
        var alpha = new double[k];
        for (int column = 0; column < k; column++)
            for (int row = 0; row < k; row++)
                for (int r = 0; r < rank; r++)
                    alpha[column] += smallest * vectors[row, r] * vectors[column, r] / Math.Sqrt(values[r]);
        return alpha;
    }
}
