namespace NativeMtl.Balancers;

/// <summary>
/// CAGrad (Liu et al. 2021, "Conflict-Averse Gradient Descent for Multi-task Learning"): with g_0 the mean gradient
/// and φ = c²·‖g_0‖², w = argmin on the simplex of g_wᵀg_0 + √φ·‖g_w‖ (g_w = Σ w_k g_k); the update is
/// g_0 + (√φ/‖g_w‖)·g_w, divided by 1 + c² (option <c>rescale</c> 1, the authors' and LibMTL's default), by 1 + c
/// (2), or not at all (0). Option <c>c</c>: 0.4 (the paper's choice for multi-task supervised learning). The
/// minimisation is on the Gram matrix (g_wᵀg_0 = wᵀG1/K, ‖g_w‖² = wᵀGw).
/// </summary>
public sealed class CaGradBalancer(BalancerOptions options) : GramBalancer(options, featureAllowed: false)
{
    private readonly double _c = options.Number("c", 0.4);
    private readonly int _rescale = options.Integer("rescale", 1);

    protected override double[] Coefficients(double[,] gram, StepContext step) => Solve(gram, _c, _rescale);

    internal static double[] Solve(double[,] gram, double c, int rescale)
    {
        if (c < 0) throw new ArgumentException($"balancer cagrad: c {c} must not be negative");
        if (rescale is < 0 or > 2) throw new ArgumentException($"balancer cagrad: rescale {rescale} must be 0, 1 or 2");
        int k = gram.GetLength(0);
        var mean = Enumerable.Repeat(1.0 / k, k).ToArray();
        var gMean = LinearSystem.Times(gram, mean);
        double root = c * Math.Sqrt(Math.Max(LinearSystem.Form(mean, gram, mean), 0));
        double Norm(double[] w) => Math.Sqrt(Math.Max(LinearSystem.Form(w, gram, w), 0));
        var w = Simplex.Minimize(
            w => w.Zip(gMean, (a, b) => a * b).Sum() + root * Norm(w),
            w =>
            {
                double norm = Norm(w);
                var gw = LinearSystem.Times(gram, w);
                return gMean.Zip(gw, (a, b) => a + (norm > 0 ? root * b / norm : 0)).ToArray();
            }, k);
        double normW = Norm(w), lambda = normW > 0 ? root / normW : 0;
        double divisor = rescale switch { 1 => 1 + c * c, 2 => 1 + c, _ => 1 };
        return w.Select(wi => (1.0 / k + lambda * wi) / divisor).ToArray();
    }
}
