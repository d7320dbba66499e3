namespace NativeMtl.Balancers;

/// <summary>
/// UPGrad (Quinton and Rey 2024, "Jacobian Descent for Multi-Objective Optimization"; TorchJD's aggregator): each
/// task's gradient, weighted 1/K, is projected onto the dual cone of all the gradients (the directions that conflict
/// with none), and the projections are added. The projection of Σ u_k g_k is Σ v_k g_k with v = argmin vᵀGv subject
/// to v ≥ u (their Proposition 1), solved exactly on the Gram matrix normalised by its trace, with <c>reg_eps</c>
/// (1e-4) added to its diagonal so it is positive definite; a Gram matrix of trace below <c>norm_eps</c> (1e-4)
/// counts as zero, as in TorchJD and LibMTL.
/// </summary>
public sealed class UpGradBalancer(BalancerOptions options) : GramBalancer(options, featureAllowed: false)
{
    private readonly double _normEpsilon = options.Number("norm_eps", 1e-4);
    private readonly double _regularization = options.Number("reg_eps", 1e-4);

    protected override double[] Coefficients(double[,] gram, StepContext step) => Solve(gram, _normEpsilon, _regularization);

    internal static double[] Solve(double[,] gram, double normEpsilon, double regularization)
    {
        int k = gram.GetLength(0);
        double trace = Enumerable.Range(0, k).Sum(i => gram[i, i]);
        var g = new double[k, k];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
                g[i, j] = (trace < normEpsilon ? 0 : gram[i, j] / trace) + (i == j ? regularization : 0);
        var weights = new double[k];
        for (int i = 0; i < k; i++)
        {
            var u = new double[k];
            u[i] = 1.0 / k;
            var v = Simplex.MinimumAbove(g, u);
            for (int j = 0; j < k; j++) weights[j] += v[j];
        }
        return weights;
    }
}
