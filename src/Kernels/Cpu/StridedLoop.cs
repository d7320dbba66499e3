namespace NativeMtl.Kernels.Cpu;

/// <summary>A body that processes one contiguous-in-index run of elements for several operands at once:
/// element j of the run sits at offsets[op] + j·strides[op] in operand op.</summary>
internal interface IRunKernel
{
    void Run(ReadOnlySpan<long> offsets, int length, ReadOnlySpan<long> strides);
}

/// <summary>
/// Walks tensors of one shape with their own strides, as runs along the innermost axis after merging axes
/// that are laid out back to back, so dense tensors become one long run and broadcast operands show stride 0.
/// Large walks are split across threads.
/// </summary>
internal static class StridedLoop
{
    /// <summary>Element count below which a walk stays on the calling thread.</summary>
    public const long ParallelThreshold = 1 << 15;

    public static void ForEachRun<TKernel>(int[] shape, long[][] strides, TKernel kernel) where TKernel : struct, IRunKernel
    {
        var (dims, steps) = Coalesce(shape, strides);
        int operands = strides.Length;
        long total = 1;
        foreach (var d in dims) total *= d;
        if (total == 0) return;

        int inner = dims.Length == 0 ? 1 : dims[^1];
        long outer = total / inner;
        var innerStrides = new long[operands];
        for (int op = 0; op < operands; op++) innerStrides[op] = dims.Length == 0 ? 0 : steps[op][^1];

        int threads = total < ParallelThreshold ? 1 : Environment.ProcessorCount;
        // Split long runs into segments so that a single dense run still spreads over the threads.
        int segment = threads == 1 || outer >= 4 * threads ? inner : (int)Math.Max(4096, (long)inner * outer / (4 * threads) + 1);
        segment = Math.Min(segment, inner);
        int segmentsPerRun = (inner + segment - 1) / segment;
        long items = outer * segmentsPerRun;

        if (threads == 1)
        {
            WalkItems(dims, steps, innerStrides, segment, segmentsPerRun, 0, items, kernel);
            return;
        }
        int chunks = (int)Math.Min(items, 4L * threads);
        Parallel.For(0, chunks, c =>
            WalkItems(dims, steps, innerStrides, segment, segmentsPerRun, items * c / chunks, items * (c + 1) / chunks, kernel));
    }

    private static void WalkItems<TKernel>(int[] dims, long[][] steps, long[] innerStrides, int segment, int segmentsPerRun,
        long first, long end, TKernel kernel) where TKernel : struct, IRunKernel
    {
        int operands = steps.Length;
        int outerRank = Math.Max(dims.Length - 1, 0);
        int inner = dims.Length == 0 ? 1 : dims[^1];
        Span<long> index = stackalloc long[Math.Max(outerRank, 1)];
        Span<long> runStart = stackalloc long[operands];
        Span<long> offsets = stackalloc long[operands];

        long run = first / segmentsPerRun;
        int seg = (int)(first % segmentsPerRun);
        long rest = run;
        for (int a = outerRank - 1; a >= 0; a--)
        {
            index[a] = rest % dims[a];
            rest /= dims[a];
        }
        for (int op = 0; op < operands; op++)
        {
            long o = 0;
            for (int a = 0; a < outerRank; a++) o += index[a] * steps[op][a];
            runStart[op] = o;
        }

        for (long item = first; item < end; item++)
        {
            int start = seg * segment;
            int length = Math.Min(segment, inner - start);
            for (int op = 0; op < operands; op++) offsets[op] = runStart[op] + start * innerStrides[op];
            kernel.Run(offsets, length, innerStrides);

            if (++seg < segmentsPerRun) continue;
            seg = 0;
            for (int a = outerRank - 1; a >= 0; a--)
            {
                for (int op = 0; op < operands; op++) runStart[op] += steps[op][a];
                if (++index[a] < dims[a]) break;
                for (int op = 0; op < operands; op++) runStart[op] -= steps[op][a] * dims[a];
                index[a] = 0;
            }
        }
    }

    /// <summary>Drops size-1 axes and merges neighbours that every operand lays out back to back.</summary>
    internal static (int[] Dims, long[][] Steps) Coalesce(int[] shape, long[][] strides)
    {
        var dims = new List<int>();
        var steps = strides.Select(_ => new List<long>()).ToArray();
        for (int a = 0; a < shape.Length; a++)
        {
            if (shape[a] == 1) continue;
            int last = dims.Count - 1;
            bool merge = last >= 0;
            for (int op = 0; merge && op < strides.Length; op++)
                merge = steps[op][last] == strides[op][a] * shape[a];
            if (merge)
            {
                dims[last] *= shape[a];
                for (int op = 0; op < strides.Length; op++) steps[op][last] = strides[op][a];
            }
            else
            {
                dims.Add(shape[a]);
                for (int op = 0; op < strides.Length; op++) steps[op].Add(strides[op][a]);
            }
        }
        return (dims.ToArray(), steps.Select(s => s.ToArray()).ToArray());
    }
}
