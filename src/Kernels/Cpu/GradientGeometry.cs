using System.Numerics;
using System.Numerics.Tensors;

namespace NativeMtl.Kernels.Cpu;

/// <summary>Gradient geometry over a K×P matrix of per-task gradients. P is the parameter count (millions) and
/// K the number of tasks (a handful), so both kernels stream g once in column blocks that stay in cache,
/// each thread owning a block range and its own partial sums.</summary>
public sealed unsafe partial class CpuBackend
{
    private const int GeometryBlock = 4096;

    public void GradientGram(TensorRef g, TensorRef gram)
    {
        if (IsDouble(g, "GradientGram")) GradientGram<double>(g, gram);
        else GradientGram<float>(g, gram);
    }

    private static void GradientGram<T>(TensorRef g, TensorRef gram) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = g.Shape[0];
        long p = g.Shape[1];
        T* pg = g.Ptr<T>();
        long blocks = (p + GeometryBlock - 1) / GeometryBlock;
        var partials = ParallelPartials(blocks, (from, to) =>
        {
            var sums = new double[k * k];
            for (long b = from; b < to; b++)
            {
                long start = b * GeometryBlock;
                int n = (int)Math.Min(GeometryBlock, p - start);
                for (int i = 0; i < k; i++)
                {
                    var row = new ReadOnlySpan<T>(pg + i * p + start, n);
                    for (int j = i; j < k; j++)
                        sums[i * k + j] += double.CreateTruncating(TensorPrimitives.Dot(row, new ReadOnlySpan<T>(pg + j * p + start, n)));
                }
            }
            return sums;
        }, Math.Max(1, (1 << 16) / GeometryBlock));
        var total = new double[k * k];
        foreach (var part in partials)
            for (int i = 0; i < total.Length; i++) total[i] += part[i];
        T* result = gram.Ptr<T>();
        for (int i = 0; i < k; i++)
            for (int j = i; j < k; j++)
                result[i * k + j] = result[j * k + i] = T.CreateTruncating(total[i * k + j]);
    }

    public void GradientCombine(TensorRef g, TensorRef coefficients, TensorRef y)
    {
        if (IsDouble(g, "GradientCombine")) GradientCombine<double>(g, coefficients, y);
        else GradientCombine<float>(g, coefficients, y);
    }

    private static void GradientCombine<T>(TensorRef g, TensorRef coefficients, TensorRef y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = g.Shape[0];
        long p = g.Shape[1];
        T* pg = g.Ptr<T>(), pc = coefficients.Ptr<T>(), py = y.Ptr<T>();
        ParallelRange((p + GeometryBlock - 1) / GeometryBlock, (from, to) =>
        {
            for (long b = from; b < to; b++)
            {
                long start = b * GeometryBlock;
                int n = (int)Math.Min(GeometryBlock, p - start);
                var dst = new Span<T>(py + start, n);
                TensorPrimitives.Multiply(new ReadOnlySpan<T>(pg + start, n), pc[0], dst);
                for (int i = 1; i < k; i++)
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<T>(pg + i * p + start, n), pc[i], dst, dst);
            }
        }, Math.Max(1, (1 << 16) / GeometryBlock));
    }
}
