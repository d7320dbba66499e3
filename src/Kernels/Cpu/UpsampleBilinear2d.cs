using System.Numerics;
using System.Numerics.Tensors;

namespace NativeMtl.Kernels.Cpu;

/// <summary>Bilinear resize over contiguous NCHW with align_corners=false, as PyTorch's upsample_bilinear2d
/// given an output size. The weights are separable: each output row blends two input rows (vectorized over
/// the row), then each output column blends two elements of that blend. The backward pass runs the same
/// steps transposed. The (n, c) planes run in parallel.</summary>
public sealed unsafe partial class CpuBackend
{
    public void UpsampleBilinear2dForward(TensorRef x, TensorRef y)
    {
        if (IsDouble(x, "UpsampleBilinear2dForward")) UpsampleForward<double>(x, y);
        else UpsampleForward<float>(x, y);
    }

    public void UpsampleBilinear2dBackward(TensorRef gy, TensorRef gx)
    {
        if (IsDouble(gy, "UpsampleBilinear2dBackward")) UpsampleBackward<double>(gy, gx);
        else UpsampleBackward<float>(gy, gx);
    }

    private static void UpsampleForward<T>(TensorRef x, TensorRef y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int inH = x.Shape[2], inW = x.Shape[3], outH = y.Shape[2], outW = y.Shape[3];
        var rows = LinearTaps<T>(inH, outH);
        var columns = LinearTaps<T>(inW, outW);
        T* px = x.Ptr<T>(), py = y.Ptr<T>();
        ParallelRange((long)x.Shape[0] * x.Shape[1], (from, to) =>
        {
            var blend = new T[inW];
            for (long plane = from; plane < to; plane++)
            {
                T* xp = px + plane * inH * inW, yp = py + plane * outH * outW;
                for (int oh = 0; oh < outH; oh++)
                {
                    var r = rows[oh];
                    TensorPrimitives.Multiply(new ReadOnlySpan<T>(xp + r.I0 * inW, inW), r.W0, blend);
                    TensorPrimitives.MultiplyAdd(new ReadOnlySpan<T>(xp + r.I1 * inW, inW), r.W1, blend, blend);
                    T* yRow = yp + oh * outW;
                    for (int ow = 0; ow < outW; ow++)
                    {
                        var c = columns[ow];
                        yRow[ow] = c.W0 * blend[c.I0] + c.W1 * blend[c.I1];
                    }
                }
            }
        }, PlaneGrain((long)outH * outW));
    }

    private static void UpsampleBackward<T>(TensorRef gy, TensorRef gx) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int inH = gx.Shape[2], inW = gx.Shape[3], outH = gy.Shape[2], outW = gy.Shape[3];
        var rows = LinearTaps<T>(inH, outH);
        var columns = LinearTaps<T>(inW, outW);
        T* pgy = gy.Ptr<T>(), pgx = gx.Ptr<T>();
        ParallelRange((long)gx.Shape[0] * gx.Shape[1], (from, to) =>
        {
            var blend = new T[inW];
            for (long plane = from; plane < to; plane++)
            {
                T* gyp = pgy + plane * outH * outW, gxp = pgx + plane * inH * inW;
                new Span<T>(gxp, inH * inW).Clear();
                for (int oh = 0; oh < outH; oh++)
                {
                    Array.Clear(blend);
                    T* gyRow = gyp + oh * outW;
                    for (int ow = 0; ow < outW; ow++)
                    {
                        var c = columns[ow];
                        blend[c.I0] += c.W0 * gyRow[ow];
                        blend[c.I1] += c.W1 * gyRow[ow];
                    }
                    var r = rows[oh];
                    var row0 = new Span<T>(gxp + r.I0 * inW, inW);
                    TensorPrimitives.MultiplyAdd(blend, r.W0, row0, row0);
                    var row1 = new Span<T>(gxp + r.I1 * inW, inW);
                    TensorPrimitives.MultiplyAdd(blend, r.W1, row1, row1);
                }
            }
        }, PlaneGrain((long)outH * outW));
    }

    /// <summary>Output position d reads input positions I0 and I1 with weights W0 + W1 = 1. The coordinates are
    /// computed in T, as PyTorch does for float: src = max((d + ½)·in/out − ½, 0), I0 = ⌊src⌋,
    /// I1 = min(I0 + 1, in − 1), W1 = src − I0. src stays below in − ½, so I0 is always in range.</summary>
    private static LinearTap<T>[] LinearTaps<T>(int input, int output) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T scale = T.CreateTruncating(input) / T.CreateTruncating(output);
        T half = T.CreateTruncating(0.5);
        var taps = new LinearTap<T>[output];
        for (int d = 0; d < output; d++)
        {
            T source = T.Max(scale * (T.CreateTruncating(d) + half) - half, T.Zero);
            int i0 = int.CreateTruncating(T.Floor(source));
            T lambda = source - T.CreateTruncating(i0);
            taps[d] = new LinearTap<T>(i0, Math.Min(i0 + 1, input - 1), T.One - lambda, lambda);
        }
        return taps;
    }

    private readonly record struct LinearTap<T>(int I0, int I1, T W0, T W1);
}
