using NativeMtl.Kernels;

namespace NativeMtl.Balancers;

/// <summary>The random orders in which PCGrad and GradVac visit the other tasks: shuffles drawn from Philox keyed by
/// (seed, step, task), so a run and its resumption draw the same orders without saving any generator state.</summary>
internal static class TaskOrder
{
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
