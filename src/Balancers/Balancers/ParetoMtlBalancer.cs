namespace NativeMtl.Balancers;

/// <summary>
/// Pareto MTL (Lin et al. 2019, "Pareto Multi-Task Learning"; seed 003's baseline): one run per preference vector
/// u_p out of <c>preferences</c> (5) unit vectors spread evenly over the positive orthant (for two tasks the
/// authors' quarter circle, angles 0…π/2; for more, the simplex lattice normalised). With w_j = u_j − u_p and
/// ℓ = L/‖L‖, the constraints w_j·ℓ &gt; 0 are the active ones (the run has strayed into another preference's region).
/// First, for at most <c>init_epochs</c> (2) epochs, the step descends the active constraints only (min-norm
/// combination of their gradients w_j·G), until none is active; then each step takes the min-norm point of the task
/// gradients together with the active constraints' gradients, as loss weights normalised to Σ|w| = K. The step
/// trains on Σ w_k L_k: the shared parameters on Σ w_k g_k, each head on w_k times its gradient. Option
/// <c>preference</c>: the index p (0 by default). The gradients are the shared parameters' (the authors take every
/// parameter's); the min-norm problems are solved exactly.
/// </summary>
public sealed class ParetoMtlBalancer(BalancerOptions options) : GramBalancer(options, featureAllowed: false)
{
    private readonly int _count = options.Integer("preferences", 5);
    private readonly int _index = options.Integer("preference", 0);
    private readonly int _initEpochs = options.Integer("init_epochs", 2);
    private double[][]? _preferences;
    private bool _initialised;
    private Tensor? _headWeights;

    protected override Tensor? HeadWeights => _headWeights;

    protected override void OnAttach()
    {
        base.OnAttach();
        if (_count < 1) throw new ArgumentException($"balancer pareto_mtl: preferences {_count} must be at least 1");
        if (_index < 0 || _index >= _count) throw new ArgumentException($"balancer pareto_mtl: preference {_index} is not in [0, {_count})");
        _preferences = Preferences(Tasks.Count, _count);
        _headWeights = Filled(1);
    }

    protected override double[] Coefficients(double[,] gram, StepContext step)
    {
        var losses = Raw.Ops.Cast(step.LossVector, DType.Float64).ToArray<double>();
        bool initialising = !_initialised && step.Step < _initEpochs * step.StepsPerEpoch;
        var weights = Solve(gram, losses, _preferences!, _index, initialising);
        if (weights is null) // feasible: the initialisation is over, and this step already takes Pareto MTL's
        {
            _initialised = true;
            weights = Solve(gram, losses, _preferences!, _index, false)!;
        }
        using (var heads = Vector(weights)) Raw.Ops.CopyInto(heads, _headWeights!);
        return weights;
    }

    /// <summary>The loss weights of one step, or null when initialising and no constraint is active.</summary>
    internal static double[]? Solve(double[,] gram, double[] losses, double[][] preferences, int index, bool initialising)
    {
        int k = losses.Length;
        double norm = Math.Sqrt(losses.Sum(l => l * l));
        var active = preferences.Select(u => u.Select((v, i) => v - preferences[index][i]).ToArray())
            .Where(w => w.Select((v, i) => v * losses[i] / norm).Sum() > 0).ToList();
        if (initialising && active.Count == 0) return null;
        // The vectors of the min-norm problem as rows of A over the task gradients: G_ext = A·G·Aᵀ.
        var rows = (initialising ? [] : Enumerable.Range(0, k).Select(i => Enumerable.Range(0, k).Select(j => i == j ? 1.0 : 0).ToArray())).Concat(active).ToList();
        var extended = new double[rows.Count, rows.Count];
        for (int a = 0; a < rows.Count; a++)
            for (int b = 0; b < rows.Count; b++)
                for (int i = 0; i < k; i++)
                    for (int j = 0; j < k; j++) extended[a, b] += rows[a][i] * gram[i, j] * rows[b][j];
        var alpha = Simplex.MinimumNorm(extended);
        var weights = new double[k];
        for (int a = 0; a < rows.Count; a++)
            for (int i = 0; i < k; i++) weights[i] += alpha[a] * rows[a][i];
        if (initialising) return weights;
        double total = weights.Sum(Math.Abs);
        return total > 0 ? weights.Select(w => w * k / total).ToArray() : weights;
    }

    /// <summary>n unit preference vectors in the positive orthant of K dimensions: for K = 2 at angles jπ/(2(n − 1));
    /// otherwise the simplex lattice points with the fewest divisions that give at least n, normalised, first n.</summary>
    internal static double[][] Preferences(int k, int n)
    {
        if (k == 2)
            return Enumerable.Range(0, n).Select(j => n == 1 ? Math.PI / 4 : j * Math.PI / 2 / (n - 1)).Select(t => new[] { Math.Cos(t), Math.Sin(t) }).ToArray();
        for (int divisions = 1; ; divisions++)
        {
            var points = Lattice(k, divisions).Select(p => p.Select(v => (double)v).ToArray()).ToList();
            if (points.Count < n) continue;
            return points.Take(n).Select(p => p.Select(v => v / Math.Sqrt(p.Sum(x => x * x))).ToArray()).ToArray();
        }
    }

    /// <summary>Every vector of k non-negative integers that add up to <paramref name="total"/>.</summary>
    private static IEnumerable<int[]> Lattice(int k, int total)
    {
        if (k == 1)
        {
            yield return [total];
            yield break;
        }
        for (int first = total; first >= 0; first--)
            foreach (var rest in Lattice(k - 1, total - first)) yield return [first, .. rest];
    }

    public override IReadOnlyDictionary<string, string> Counters => new Dictionary<string, string> { ["pareto_mtl.initialised"] = _initialised.ToString() };

    public override void RestoreCounters(IReadOnlyDictionary<string, string> counters) => _initialised = bool.Parse(counters["pareto_mtl.initialised"]);

    public override void Dispose()
    {
        _headWeights?.Dispose();
        base.Dispose();
    }
}
