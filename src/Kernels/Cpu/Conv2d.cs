using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace NativeMtl.Kernels.Cpu;

/// <summary>
/// Convolution as GEMM. For each (sample, group) the input patches unfold into a column matrix
/// [C/groups·R·S, P·Q] (see <see cref="Im2Col"/>): the forward pass is W·col, backward-data is Wᵀ·gy folded
/// back onto x, and backward-filter is gy·colᵀ summed over the batch. A pointwise (1×1, stride-1, unpadded)
/// convolution is already a GEMM over x and skips the column matrix. When there are at least as many
/// independent pieces of work as cores, each core takes some with a single-threaded GEMM, which keeps the
/// column matrices in that core's cache; otherwise the pieces run in turn and the GEMM spreads over the cores.
/// </summary>
public sealed unsafe partial class CpuBackend
{
    public void Conv2dForward(TensorRef x, TensorRef w, TensorRef? bias, TensorRef y, Conv2dGeometry geometry)
    {
        var s = new ConvShape("Conv2dForward", x, w, y, geometry);
        if (IsDouble(x, "Conv2dForward")) Conv2dForward<double>(x.Ptr<double>(), w.Ptr<double>(), OptionalPtr<double>(bias), y.Ptr<double>(), s);
        else Conv2dForward<float>(x.Ptr<float>(), w.Ptr<float>(), OptionalPtr<float>(bias), y.Ptr<float>(), s);
    }

    public void Conv2dBackwardData(TensorRef gy, TensorRef w, TensorRef gx, Conv2dGeometry geometry)
    {
        var s = new ConvShape("Conv2dBackwardData", gx, w, gy, geometry);
        if (IsDouble(gy, "Conv2dBackwardData")) Conv2dBackwardData<double>(gy.Ptr<double>(), w.Ptr<double>(), gx.Ptr<double>(), s);
        else Conv2dBackwardData<float>(gy.Ptr<float>(), w.Ptr<float>(), gx.Ptr<float>(), s);
    }

    public void Conv2dBackwardFilter(TensorRef x, TensorRef gy, TensorRef gw, Conv2dGeometry geometry)
    {
        var s = new ConvShape("Conv2dBackwardFilter", x, gw, gy, geometry);
        if (IsDouble(x, "Conv2dBackwardFilter")) Conv2dBackwardFilter<double>(x.Ptr<double>(), gy.Ptr<double>(), gw.Ptr<double>(), s);
        else Conv2dBackwardFilter<float>(x.Ptr<float>(), gy.Ptr<float>(), gw.Ptr<float>(), s);
    }

    private static T* OptionalPtr<T>(TensorRef? t) where T : unmanaged => t is { } present ? present.Ptr<T>() : null;

    private static void Conv2dForward<T>(T* x, T* w, T* bias, T* y, ConvShape s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int plane = checked((int)s.OutputPlane);
        ForEachSampleAndGroup(s, (first, end, parallelGemm) =>
        {
            using var col = s.Pointwise ? default : ScratchPool.Rent(s.ColumnElements * sizeof(T));
            for (int item = first; item < end; item++)
            {
                var (n, g) = (item / s.Groups, item % s.Groups);
                T* xg = x + ((long)n * s.C + (long)g * s.ChannelsPerGroup) * s.InputPlane;
                T* yg = y + ((long)n * s.K + (long)g * s.FiltersPerGroup) * s.OutputPlane;
                T* columns = xg;
                if (!s.Pointwise)
                {
                    columns = col.As<T>();
                    Im2Col.Unfold(xg, columns, s);
                }
                GemmKernel.Multiply(s.FiltersPerGroup, plane, s.PatchSize, T.One,
                    w + (long)g * s.FiltersPerGroup * s.PatchSize, s.PatchSize, 1,
                    columns, s.OutputPlane, 1,
                    T.Zero, yg, s.OutputPlane, parallelGemm);
                if (bias == null) continue;
                for (int k = 0; k < s.FiltersPerGroup; k++)
                {
                    var channel = new Span<T>(yg + k * s.OutputPlane, plane);
                    TensorPrimitives.Add(channel, bias[g * s.FiltersPerGroup + k], channel);
                }
            }
        });
    }

    private static void Conv2dBackwardData<T>(T* gy, T* w, T* gx, ConvShape s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int plane = checked((int)s.OutputPlane);
        ForEachSampleAndGroup(s, (first, end, parallelGemm) =>
        {
            using var col = s.Pointwise ? default : ScratchPool.Rent(s.ColumnElements * sizeof(T));
            for (int item = first; item < end; item++)
            {
                var (n, g) = (item / s.Groups, item % s.Groups);
                T* gxg = gx + ((long)n * s.C + (long)g * s.ChannelsPerGroup) * s.InputPlane;
                T* gyg = gy + ((long)n * s.K + (long)g * s.FiltersPerGroup) * s.OutputPlane;
                // A pointwise convolution's column matrix is gx itself, so the GEMM writes it directly.
                T* columns = s.Pointwise ? gxg : col.As<T>();
                GemmKernel.Multiply(s.PatchSize, plane, s.FiltersPerGroup, T.One,
                    w + (long)g * s.FiltersPerGroup * s.PatchSize, 1, s.PatchSize,
                    gyg, s.OutputPlane, 1,
                    T.Zero, columns, s.OutputPlane, parallelGemm);
                if (!s.Pointwise) Im2Col.Fold(columns, gxg, s);
            }
        });
    }

    private static void Conv2dBackwardFilter<T>(T* x, T* gy, T* gw, ConvShape s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long filters = (long)s.K * s.PatchSize;
        int threads = Environment.ProcessorCount;
        if (s.N == 0)
        {
            NativeMemory.Clear(gw, (nuint)(filters * sizeof(T)));
        }
        else if (threads > 1 && s.Groups >= threads)
        {
            // Groups own disjoint slices of gw, so they split over the cores without any reduction.
            Parallel.For(0, threads, t =>
                FilterSums(x, gy, gw, s, 0, s.N, (int)((long)s.Groups * t / threads), (int)((long)s.Groups * (t + 1) / threads), false));
        }
        else if (threads > 1 && s.N >= threads)
        {
            // Each core sums its own slice of the batch: the first into gw, the others into partial sums added at the end.
            using var partials = ScratchPool.Rent((threads - 1) * filters * sizeof(T));
            T* partial = partials.As<T>();
            Parallel.For(0, threads, t =>
                FilterSums(x, gy, t == 0 ? gw : partial + (t - 1) * filters, s,
                    (int)((long)s.N * t / threads), (int)((long)s.N * (t + 1) / threads), 0, s.Groups, false));
            var total = new Span<T>(gw, checked((int)filters));
            for (int t = 1; t < threads; t++)
                TensorPrimitives.Add(total, new ReadOnlySpan<T>(partial + (t - 1) * filters, total.Length), total);
        }
        else
        {
            FilterSums(x, gy, gw, s, 0, s.N, 0, s.Groups, true);
        }
    }

    /// <summary>Overwrites the filters of groups [gFirst, gEnd) in gw with Σ gy[n, g]·col[n, g]ᵀ over the samples
    /// [nFirst, nEnd), which must not be empty.</summary>
    private static void FilterSums<T>(T* x, T* gy, T* gw, in ConvShape s, int nFirst, int nEnd, int gFirst, int gEnd,
        bool parallelGemm) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int plane = checked((int)s.OutputPlane);
        using var col = s.Pointwise ? default : ScratchPool.Rent(s.ColumnElements * sizeof(T));
        for (int g = gFirst; g < gEnd; g++)
        for (int n = nFirst; n < nEnd; n++)
        {
            T* xg = x + ((long)n * s.C + (long)g * s.ChannelsPerGroup) * s.InputPlane;
            T* gyg = gy + ((long)n * s.K + (long)g * s.FiltersPerGroup) * s.OutputPlane;
            T* columns = xg;
            if (!s.Pointwise)
            {
                columns = col.As<T>();
                Im2Col.Unfold(xg, columns, s);
            }
            GemmKernel.Multiply(s.FiltersPerGroup, s.PatchSize, plane, T.One,
                gyg, s.OutputPlane, 1,
                columns, 1, s.OutputPlane,
                n == nFirst ? T.Zero : T.One, gw + (long)g * s.FiltersPerGroup * s.PatchSize, s.PatchSize, parallelGemm);
        }
    }

    /// <summary>Runs <paramref name="body"/>(first, end, parallelGemm) over the (sample, group) pairs n·groups + g:
    /// split across the cores with single-threaded GEMMs when there are enough pairs, else all at once with a
    /// parallel GEMM.</summary>
    private static void ForEachSampleAndGroup(in ConvShape s, Action<int, int, bool> body)
    {
        int items = s.N * s.Groups;
        int threads = Environment.ProcessorCount;
        if (threads == 1 || items < threads)
        {
            body(0, items, true);
            return;
        }
        Parallel.For(0, threads, t => body((int)((long)items * t / threads), (int)((long)items * (t + 1) / threads), false));
    }
}
