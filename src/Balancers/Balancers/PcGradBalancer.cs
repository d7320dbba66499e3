namespace NativeMtl.Balancers;

/// <summary>
/// PCGrad (Yu et al. 2020, "Gradient Surgery for Multi-Task Learning"): each task's gradient g_i, in turn against
/// every task's gradient g_j in a random order (g_i itself included, as in the authors' code and LibMTL), loses its
/// component along g_j whenever the two conflict: g_i ← g_i − (⟨g_i, g_j⟩/‖g_j‖²)·g_j if ⟨g_i, g_j⟩ &lt; 0; the shared
/// parameters take Σ_i g_i. Every projected g_i stays a combination of the original gradients, so the whole
/// procedure runs on the Gram matrix and yields one coefficient per task. The order is a shuffle drawn from
/// (option <c>seed</c>, the step, i), so a run and its resumption draw the same orders.
/// </summary>
public sealed class PcGradBalancer(BalancerOptions options) : GramBalancer(options, featureAllowed: false)
{
    private readonly ulong _seed = (ulong)options.Integer("seed", 0);

    protected override double[] Coefficients(double[,] gram, StepContext step) => Project(gram, i => Order(_seed, step.Step, i, gram.GetLength(0)));

    /// <summary>Σ_i of the projected g_i, as coefficients of the original gradients; <paramref name="order"/> gives the
    /// sequence of j for each i.</summary>
    internal static double[] Project(double[,] gram, Func<int, int[]> order) =>
        TaskOrder.SumOfRewritten(gram.GetLength(0), order, (a, _, j) =>
        {
            double dot = LinearSystem.Times(gram, a)[j];
            if (dot < 0) a[j] -= dot / gram[j, j];
        });

    /// <summary>A shuffle of 0…K−1 (g_i itself included) for task <paramref name="task"/> at <paramref name="step"/>.</summary>
    internal static int[] Order(ulong seed, int step, int task, int k) => TaskOrder.Shuffle(seed, step, task, Enumerable.Range(0, k).ToArray(), k);
}
