using System.Numerics;

namespace NativeMtl.Kernels.Cpu;

/// <summary>GradDrop's CPU twin of kernels/graddrop.cu: the same sums in double and the same Philox draws, a
/// position per iteration, positions split over the threads.</summary>
public sealed unsafe partial class CpuBackend
{
    /// <summary>The most tasks the fused kernel keeps in registers (NMTL_GRADDROP_MAX_TASKS).</summary>
    public const int GradDropMaxTasks = 16;

    public void GradDrop(TensorRef g, TensorRef x, ulong seed, ulong offset, double leak, TensorRef y)
    {
        CheckGradDropLayout(g, x, y);
        if (IsDouble(g, "GradDrop")) GradDrop<double>(g, x, seed, offset, leak, y);
        else GradDrop<float>(g, x, seed, offset, leak, y);
    }

    /// <summary>g [K, N, F] with K in 1…16, x and y [N, F], all contiguous and of one dtype.</summary>
    internal static void CheckGradDropLayout(TensorRef g, TensorRef x, TensorRef y)
    {
        const string op = "GradDrop";
        if (g.Rank != 3 || x.Rank != 2 || y.Rank != 2 || g.Shape[1] != x.Shape[0] || g.Shape[2] != x.Shape[1] || !x.Shape.SequenceEqual(y.Shape))
            throw new ArgumentException($"{op}: expects g [K, N, F], x and y [N, F], got {g}, {x}, {y}");
        if (g.Shape[0] is < 1 or > GradDropMaxTasks) throw new ArgumentException($"{op}: {g.Shape[0]} tasks; 1 to {GradDropMaxTasks} are supported");
        if (g.DType != x.DType || g.DType != y.DType) throw new ArgumentException($"{op}: dtypes {g.DType}, {x.DType}, {y.DType} differ");
        if (!g.IsContiguous || !x.IsContiguous || !y.IsContiguous) throw new ArgumentException($"{op}: {g}, {x} and {y} must be contiguous");
    }

    private static void GradDrop<T>(TensorRef g, TensorRef x, ulong seed, ulong offset, double leak, TensorRef y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int k = g.Shape[0];
        long n = g.Shape[1], f = g.Shape[2];
        T* pg = g.Ptr<T>(), px = x.Ptr<T>(), py = y.Ptr<T>();
        ParallelRange(f, (from, to) =>
        {
            Span<double> keep = stackalloc double[GradDropMaxTasks];
            Span<double> s = stackalloc double[GradDropMaxTasks];
            for (long p = from; p < to; p++)
            {
                double total = 0, magnitude = 0;
                for (int t = 0; t < k; t++)
                {
                    double acc = 0;
                    for (long i = 0; i < n; i++)
                    {
                        double v = double.CreateTruncating(px[i * f + p]);
                        acc += double.CreateTruncating(pg[(t * n + i) * f + p]) * (v > 0 ? 1 : v < 0 ? -1 : 0);
                    }
                    s[t] = acc;
                    total += acc;
                    magnitude += Math.Abs(acc);
                }
                double purity = 0.5 * (1 + total / (magnitude + 1e-7));
                double u = Philox.UniformDouble(offset + (ulong)p, seed, 0, 1);
                for (int t = 0; t < k; t++)
                    keep[t] = leak + (1 - leak) * ((purity > u && s[t] > 0) || (purity < u && s[t] < 0) ? 1 : 0);
                for (long i = 0; i < n; i++)
                {
                    double acc = 0;
                    for (int t = 0; t < k; t++) acc += double.CreateTruncating(pg[(t * n + i) * f + p]) * keep[t];
                    py[i * f + p] = T.CreateTruncating(acc);
                }
            }
        });
    }
}
