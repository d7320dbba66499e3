namespace NativeMtl.Balancers;

/// <summary>
/// Nash-MTL (Navon et al. 2022, "Multi-Task Learning as a Bargaining Game"): the shared parameters take Σ α_k·g_k with
/// α the Nash bargaining solution, the α &gt; 0 with (Gα)_k = 1/α_k for every k (their Theorem 5.1). It is the
/// minimiser of the strictly convex ½·αᵀGα − Σ_k log α_k, found here by Newton's method to machine precision (the
/// authors' code and LibMTL take a few convex-concave steps through cvxpy instead). Each head takes its task's
/// gradient times α_k, as the official code's backward pass of Σ α_k L_k gives. Option <c>max_norm</c> (1.0, as
/// both codes): the shared gradient is scaled down to that norm when longer (0: no clipping).
/// </summary>
public sealed class NashMtlBalancer(BalancerOptions options) : GramBalancer(options, featureAllowed: false)
{
    private readonly double _maxNorm = options.Number("max_norm", 1.0);
    private Tensor? _headWeights;

    protected override Tensor? HeadWeights => _headWeights;

    protected override void OnAttach()
    {
        base.OnAttach();
        _headWeights = Filled(1);
    }

    protected override double[] Coefficients(double[,] gram, StepContext step)
    {
        var alpha = Solve(gram);
        using (var heads = Vector(alpha)) Raw.Ops.CopyInto(heads, _headWeights!);
        double norm = Math.Sqrt(Math.Max(LinearSystem.Form(alpha, gram, alpha), 0));
        double clip = _maxNorm > 0 && norm > _maxNorm ? _maxNorm / norm : 1;
        return alpha.Select(a => a * clip).ToArray();
    }

    /// <summary>α &gt; 0 with G·α = 1/α: Newton steps on ∇ = Gα − 1/α with Hessian G + diag(1/α²), each step halved
    /// until α stays positive and the objective falls. A zero gradient gives α = 0 for its task.</summary>
    internal static double[] Solve(double[,] gram)
    {
        int k = gram.GetLength(0);
        var active = Enumerable.Range(0, k).Where(i => gram[i, i] > 0).ToArray();
        var alpha = new double[k];
        if (active.Length == 0) return alpha;
        var g = new double[active.Length, active.Length];
        for (int i = 0; i < active.Length; i++)
            for (int j = 0; j < active.Length; j++) g[i, j] = gram[active[i], active[j]];
        double Objective(double[] a) => 0.5 * LinearSystem.Form(a, g, a) - a.Sum(Math.Log);
        // Start where every (Gα)_k = 1/α_k would hold if the gradients were orthogonal: α_k = 1/‖g_k‖.
        var x = active.Select((_, i) => 1 / Math.Sqrt(g[i, i])).ToArray();
        for (int iteration = 0; iteration < 100; iteration++)
        {
            var gx = LinearSystem.Times(g, x);
            var gradient = gx.Select((v, i) => v - 1 / x[i]).ToArray();
            if (gradient.Select((v, i) => Math.Abs(v) * x[i]).Max() < 1e-14) break;
            var hessian = (double[,])g.Clone();
            for (int i = 0; i < x.Length; i++) hessian[i, i] += 1 / (x[i] * x[i]);
            if (LinearSystem.Solve(hessian, gradient) is not { } direction) break;
            double step = 1, value = Objective(x);
            double[] next;
            while (true)
            {
                next = x.Select((v, i) => v - step * direction[i]).ToArray();
                if (next.All(v => v > 0) && Objective(next) <= value) break;
                step /= 2;
                if (step < 1e-20)
                {
                    next = x;
                    break;
                }
            }
            x = next;
        }
        for (int i = 0; i < active.Length; i++) alpha[active[i]] = x[i];
        return alpha;
    }

    public override void Dispose()
    {
        _headWeights?.Dispose();
        base.Dispose();
    }
}
