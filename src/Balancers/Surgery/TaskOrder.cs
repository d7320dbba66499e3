using NativeMtl.Kernels;

namespace NativeMtl.Balancers;

/// <summary>The random orders in which PCGrad and GradVac visit the other tasks: shuffles drawn from Philox keyed by
/// (seed, step, task), so a run and its resumption draw the same orders without saving any generator state.</summary>
internal static class TaskOrder
{
    /// <summary>Σ_i of each task's gradient g_i rewritten against the others in turn: g_i is held as coefficients a of
    /// the original gradients (a = e_i at first), and <paramref name="visit"/>(a, i, j) adjusts a against g_j for each j
    /// of <paramref name="order"/>(i). PCGrad's projections and GradVac's raises both stay such combinations.</summary>
    public static double[] SumOfRewritten(int k, Func<int, int[]> order, Action<double[], int, int> visit)
    {
        var total = new double[k];
        for (int i = 0; i < k; i++)
        {
            var a = new double[k];
            a[i] = 1;
            foreach (int j in order(i)) visit(a, i, j);
            for (int m = 0; m < k; m++) total[m] += a[m];
        }
        return total;
    }

    /// <summary>A Fisher–Yates shuffle of <paramref name="items"/>.</summary>
    public static int[] Shuffle(ulong seed, int step, int task, IReadOnlyList<int> items, int tasks)
    {
        var order = items.ToArray();
        for (int n = order.Length - 1; n > 0; n--)
        {
            ulong counter = ((ulong)step * (ulong)tasks + (ulong)task) * (ulong)tasks + (ulong)n;
            int pick = Math.Min((int)Philox.UniformDouble(counter, seed, 0, n + 1), n);
            (order[n], order[pick]) = (order[pick], order[n]);
        }
        return order;
    }
}
