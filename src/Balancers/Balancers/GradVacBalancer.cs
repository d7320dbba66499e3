using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>
/// Gradient Vaccine (Wang et al. 2021): each task's gradient g_i, against every other task's g_j in a random order,
/// is raised towards a target similarity φ̂_ij kept as an exponential moving average of the observed ones: where
/// φ_ij = cos(g_i, g_j) &lt; φ̂_ij, g_i += g_j·‖g_i‖·(φ̂_ij·√(1 − φ_ij²) − φ_ij·√(1 − φ̂_ij²)) / (‖g_j‖·√(1 − φ̂_ij²)), which
/// makes the cosine exactly φ̂_ij; then φ̂_ij ← (1 − β)·φ̂_ij + β·φ_ij. The shared parameters take Σ_i g_i. Options:
/// <c>beta</c> (0.5, LibMTL's default; the paper uses 1e-2 for its translation models), <c>seed</c> (the orders, drawn
/// as PCGrad's), <c>ema_update</c>: <c>always</c> (the paper's Algorithm 1 moves φ̂ after every comparison) or
/// <c>on_conflict</c> (LibMTL moves it only where g_i was changed). φ̂ starts at 0 and is saved in checkpoints. The
/// whole model is one parameter group (LibMTL's group type 0).
/// </summary>
public sealed class GradVacBalancer(BalancerOptions options) : GramBalancer(options, featureAllowed: false)
{
    private readonly double _beta = options.Number("beta", 0.5);
    private readonly ulong _seed = (ulong)options.Integer("seed", 0);
    private readonly bool _always = options.Word("ema_update", "always", "always", "on_conflict") == "always";
    private Tensor? _targets;

    protected override void OnAttach()
    {
        base.OnAttach();
        if (_beta is <= 0 or > 1) throw new ArgumentException($"balancer gradvac: beta {_beta} must be in (0, 1]");
        _targets = Tensors.Zeros(new Shape(Tasks.Count, Tasks.Count), DType.Float64, Setup.Device).DetachFromScope();
    }

    protected override double[] Coefficients(double[,] gram, StepContext step)
    {
        int k = gram.GetLength(0);
        var targets = GramOnHost(_targets!);
        var coefficients = Solve(gram, targets, _beta, _always, i => TaskOrder.Shuffle(_seed, step.Step, i, Enumerable.Range(0, k).Where(j => j != i).ToArray(), k));
        using var updated = Tensors.FromArray(targets.Cast<double>().ToArray(), new Shape(k, k), Setup.Device).DetachFromScope();
        Ops.CopyInto(updated, _targets!);
        return coefficients;
    }

    /// <summary>Σ_i of the vaccinated g_i as coefficients of the original gradients; <paramref name="targets"/> (φ̂)
    /// is updated in place.</summary>
    internal static double[] Solve(double[,] gram, double[,] targets, double beta, bool always, Func<int, int[]> order) =>
        TaskOrder.SumOfRewritten(gram.GetLength(0), order, (a, i, j) =>
        {
            double norm = Math.Sqrt(Math.Max(LinearSystem.Form(a, gram, a), 0)), normJ = Math.Sqrt(gram[j, j]);
            if (norm == 0 || normJ == 0) return;
            double phi = LinearSystem.Times(gram, a)[j] / (norm * normJ), target = targets[i, j];
            bool conflict = phi < target;
            if (conflict)
                a[j] += norm * (target * Math.Sqrt(1 - phi * phi) - phi * Math.Sqrt(1 - target * target)) / (normJ * Math.Sqrt(1 - target * target));
            if (conflict || always) targets[i, j] = (1 - beta) * target + beta * phi;
        });

    public override IEnumerable<(string Name, Tensor State)> State() => [("gradvac.targets", _targets!)];

    public override void Dispose()
    {
        _targets?.Dispose();
        base.Dispose();
    }
}
