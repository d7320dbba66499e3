using System.Numerics;
using System.Numerics.Tensors;

namespace NativeMtl.Kernels.Cpu;

/// <summary>Softmax and log-softmax along one axis of a contiguous tensor, seen as [outer, size, inner].
/// When the axis is innermost each row is a dense span. Otherwise the values of one softmax lie inner
/// elements apart, so a tile of neighbouring columns is processed together: every pass over the axis then
/// reads dense runs of the tile's width, and the running max and sum are vectors of that width.</summary>
public sealed unsafe partial class CpuBackend
{
    /// <summary>Columns per tile when the axis is not innermost: wide enough for long SIMD runs, small enough
    /// that the per-tile scratch fits on the stack.</summary>
    private const int SoftmaxTileWidth = 512;

    public void Softmax(TensorRef x, int axis, bool log, TensorRef y)
    {
        var layout = SoftmaxLayout.Of("Softmax", axis, x, y);
        if (IsDouble(x, "Softmax")) SoftmaxForward(x.Ptr<double>(), y.Ptr<double>(), layout, log);
        else SoftmaxForward(x.Ptr<float>(), y.Ptr<float>(), layout, log);
    }

    public void SoftmaxBackward(TensorRef y, TensorRef gy, int axis, bool log, TensorRef gx)
    {
        var layout = SoftmaxLayout.Of("SoftmaxBackward", axis, y, gy, gx);
        if (IsDouble(y, "SoftmaxBackward")) SoftmaxBackward(y.Ptr<double>(), gy.Ptr<double>(), gx.Ptr<double>(), layout, log);
        else SoftmaxBackward(y.Ptr<float>(), gy.Ptr<float>(), gx.Ptr<float>(), layout, log);
    }

    private static void SoftmaxForward<T>(T* x, T* y, SoftmaxLayout l, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (l.Inner == 1)
        {
            ParallelRange(l.Outer, (from, to) =>
            {
                for (long r = from; r < to; r++)
                    SoftmaxRow(new ReadOnlySpan<T>(x + r * l.Size, l.Size), new Span<T>(y + r * l.Size, l.Size), log);
            }, RowGrain(l));
        }
        else
        {
            ForEachTile(l, (offset, width) => SoftmaxTile(x + offset, y + offset, l.Size, l.Inner, width, log));
        }
    }

    private static void SoftmaxRow<T>(ReadOnlySpan<T> x, Span<T> y, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        TensorPrimitives.Subtract(x, TensorPrimitives.Max(x), y);
        if (!log)
        {
            TensorPrimitives.Exp(y, y);
            TensorPrimitives.Multiply(y, T.One / TensorPrimitives.Sum<T>(y), y);
            return;
        }
        // y keeps x − max, so the exponentials go through a small scratch instead of a second pass over x.
        Span<T> scratch = stackalloc T[SoftmaxTileWidth];
        T sum = T.Zero;
        for (int start = 0; start < y.Length; start += SoftmaxTileWidth)
        {
            var part = y.Slice(start, Math.Min(SoftmaxTileWidth, y.Length - start));
            var e = scratch[..part.Length];
            TensorPrimitives.Exp(part, e);
            sum += TensorPrimitives.Sum<T>(e);
        }
        TensorPrimitives.Subtract(y, T.Log(sum), y);
    }

    /// <summary>One tile: <paramref name="width"/> adjacent columns, each a softmax over <paramref name="size"/>
    /// values <paramref name="stride"/> elements apart.</summary>
    private static void SoftmaxTile<T>(T* x, T* y, int size, long stride, int width, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> max = stackalloc T[width];
        Span<T> sum = stackalloc T[width];
        Span<T> scratch = stackalloc T[width];
        new ReadOnlySpan<T>(x, width).CopyTo(max);
        for (int c = 1; c < size; c++) TensorPrimitives.Max(max, new ReadOnlySpan<T>(x + c * stride, width), max);
        sum.Clear();
        for (int c = 0; c < size; c++)
        {
            var yc = new Span<T>(y + c * stride, width);
            TensorPrimitives.Subtract(new ReadOnlySpan<T>(x + c * stride, width), max, yc);
            var e = log ? scratch : yc;
            TensorPrimitives.Exp(yc, e);
            TensorPrimitives.Add(sum, e, sum);
        }
        if (log) TensorPrimitives.Log(sum, sum);
        else TensorPrimitives.Reciprocal(sum, sum);
        for (int c = 0; c < size; c++)
        {
            var yc = new Span<T>(y + c * stride, width);
            if (log) TensorPrimitives.Subtract(yc, sum, yc);
            else TensorPrimitives.Multiply(yc, sum, yc);
        }
    }

    private static void SoftmaxBackward<T>(T* y, T* gy, T* gx, SoftmaxLayout l, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (l.Inner == 1)
        {
            ParallelRange(l.Outer, (from, to) =>
            {
                for (long r = from; r < to; r++)
                {
                    long o = r * l.Size;
                    SoftmaxBackwardRow(new ReadOnlySpan<T>(y + o, l.Size), new ReadOnlySpan<T>(gy + o, l.Size), new Span<T>(gx + o, l.Size), log);
                }
            }, RowGrain(l));
        }
        else
        {
            ForEachTile(l, (offset, width) => SoftmaxBackwardTile(y + offset, gy + offset, gx + offset, l.Size, l.Inner, width, log));
        }
    }

    /// <summary>softmax: gx = y·(gy − Σ gy·y); log-softmax: gx = gy − exp(y)·Σ gy.</summary>
    private static void SoftmaxBackwardRow<T>(ReadOnlySpan<T> y, ReadOnlySpan<T> gy, Span<T> gx, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (log)
        {
            TensorPrimitives.Exp(y, gx);
            TensorPrimitives.Multiply(gx, TensorPrimitives.Sum(gy), gx);
            TensorPrimitives.Subtract(gy, gx, gx);
        }
        else
        {
            TensorPrimitives.Subtract(gy, TensorPrimitives.Dot(gy, y), gx);
            TensorPrimitives.Multiply(gx, y, gx);
        }
    }

    private static void SoftmaxBackwardTile<T>(T* y, T* gy, T* gx, int size, long stride, int width, bool log) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<T> acc = stackalloc T[width];
        acc.Clear();
        for (int c = 0; c < size; c++)
        {
            var gyc = new ReadOnlySpan<T>(gy + c * stride, width);
            if (log) TensorPrimitives.Add(acc, gyc, acc);
            else TensorPrimitives.MultiplyAdd(gyc, new ReadOnlySpan<T>(y + c * stride, width), acc, acc);
        }
        for (int c = 0; c < size; c++)
        {
            var yc = new ReadOnlySpan<T>(y + c * stride, width);
            var gyc = new ReadOnlySpan<T>(gy + c * stride, width);
            var gxc = new Span<T>(gx + c * stride, width);
            if (log)
            {
                TensorPrimitives.Exp(yc, gxc);
                TensorPrimitives.Multiply(gxc, acc, gxc);
                TensorPrimitives.Subtract(gyc, gxc, gxc);
            }
            else
            {
                TensorPrimitives.Subtract(gyc, acc, gxc);
                TensorPrimitives.Multiply(gxc, yc, gxc);
            }
        }
    }

    /// <summary>Rows per thread chunk, so that a chunk holds about a parallel threshold of elements.</summary>
    private static long RowGrain(SoftmaxLayout l) => Math.Max(1, StridedLoop.ParallelThreshold / Math.Max(l.Size, 1));

    /// <summary>Runs <paramref name="tile"/>(element offset of the tile's first column, width) over every
    /// tile of every outer block, in parallel when there is enough work.</summary>
    private static void ForEachTile(SoftmaxLayout l, Action<long, int> tile)
    {
        long tilesPerBlock = (l.Inner + SoftmaxTileWidth - 1) / SoftmaxTileWidth;
        long blockLength = l.Size * l.Inner;
        long inner = l.Inner;
        long grain = Math.Max(1, StridedLoop.ParallelThreshold / Math.Max(1, l.Size * Math.Min(inner, SoftmaxTileWidth)));
        ParallelRange(l.Outer * tilesPerBlock, (from, to) =>
        {
            for (long k = from; k < to; k++)
            {
                long column = k % tilesPerBlock * SoftmaxTileWidth;
                tile(k / tilesPerBlock * blockLength + column, (int)Math.Min(SoftmaxTileWidth, inner - column));
            }
        }, grain);
    }
}
