using System.Numerics;

namespace NativeMtl.Kernels.Cpu;

/// <summary>Max and average pooling over contiguous NCHW, PyTorch's semantics with ceil_mode false. The (n, c)
/// planes run in parallel; a backward pass scatters only into its own plane of gx, so overlapping windows
/// accumulate without races. Windows are a few elements wide, too short for vector code to pay.</summary>
public sealed unsafe partial class CpuBackend
{
    public void MaxPool2dForward(TensorRef x, TensorRef y, Pool2dGeometry geometry)
    {
        if (IsDouble(x, "MaxPool2dForward")) MaxPoolGather<double>(x, x, y, geometry);
        else MaxPoolGather<float>(x, x, y, geometry);
    }

    public void MaxPool2dJvp(TensorRef x, TensorRef tx, TensorRef ty, Pool2dGeometry geometry)
    {
        if (IsDouble(x, "MaxPool2dJvp")) MaxPoolGather<double>(x, tx, ty, geometry);
        else MaxPoolGather<float>(x, tx, ty, geometry);
    }

    /// <summary>The maximum's position is found again from x, so y is not read.</summary>
    public void MaxPool2dBackward(TensorRef x, TensorRef y, TensorRef gy, TensorRef gx, Pool2dGeometry geometry)
    {
        if (IsDouble(x, "MaxPool2dBackward")) MaxPoolBackward<double>(x, gy, gx, geometry);
        else MaxPoolBackward<float>(x, gy, gx, geometry);
    }

    public void AvgPool2dForward(TensorRef x, TensorRef y, Pool2dGeometry geometry)
    {
        if (IsDouble(x, "AvgPool2dForward")) AvgPoolForward<double>(x, y, geometry);
        else AvgPoolForward<float>(x, y, geometry);
    }

    public void AvgPool2dBackward(TensorRef gy, TensorRef gx, Pool2dGeometry geometry)
    {
        if (IsDouble(gy, "AvgPool2dBackward")) AvgPoolBackward<double>(gy, gx, geometry);
        else AvgPoolBackward<float>(gy, gx, geometry);
    }

    /// <summary>y = each window's value of <paramref name="values"/> at x's maximum: the forward pass (values = x)
    /// and its tangent (values = x's tangent).</summary>
    private static void MaxPoolGather<T>(TensorRef x, TensorRef values, TensorRef y, Pool2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = new PoolSizes(x, y);
        T* px = x.Ptr<T>(), pv = values.Ptr<T>(), py = y.Ptr<T>();
        ParallelRange(s.Planes, (from, to) =>
        {
            for (long plane = from; plane < to; plane++)
            {
                T* xp = px + plane * s.InputPlane, vp = pv + plane * s.InputPlane, yp = py + plane * s.OutputPlane;
                for (int p = 0; p < s.OutH; p++)
                {
                    var (h0, h1) = WindowRange(p, g.StrideH, g.PadH, g.KernelH, s.InH);
                    for (int q = 0; q < s.OutW; q++)
                    {
                        var (w0, w1) = WindowRange(q, g.StrideW, g.PadW, g.KernelW, s.InW);
                        yp[p * s.OutW + q] = vp[WindowArgMax(xp, s.InW, h0, h1, w0, w1)];
                    }
                }
            }
        }, PlaneGrain(s.InputPlane));
    }

    private static void MaxPoolBackward<T>(TensorRef x, TensorRef gy, TensorRef gx, Pool2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = new PoolSizes(x, gy);
        T* px = x.Ptr<T>(), pgy = gy.Ptr<T>(), pgx = gx.Ptr<T>();
        ParallelRange(s.Planes, (from, to) =>
        {
            for (long plane = from; plane < to; plane++)
            {
                T* xp = px + plane * s.InputPlane, gyp = pgy + plane * s.OutputPlane, gxp = pgx + plane * s.InputPlane;
                new Span<T>(gxp, s.InputPlane).Clear();
                for (int p = 0; p < s.OutH; p++)
                {
                    var (h0, h1) = WindowRange(p, g.StrideH, g.PadH, g.KernelH, s.InH);
                    for (int q = 0; q < s.OutW; q++)
                    {
                        var (w0, w1) = WindowRange(q, g.StrideW, g.PadW, g.KernelW, s.InW);
                        gxp[WindowArgMax(xp, s.InW, h0, h1, w0, w1)] += gyp[p * s.OutW + q];
                    }
                }
            }
        }, PlaneGrain(s.InputPlane));
    }

    /// <summary>Index within the plane of the window's first maximum, as PyTorch picks it: padding is −∞, so an
    /// all −∞ window keeps its first in-bounds element, and a NaN wins over any number.</summary>
    private static int WindowArgMax<T>(T* plane, int width, int h0, int h1, int w0, int w1) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int best = h0 * width + w0;
        T max = T.NegativeInfinity;
        for (int h = h0; h < h1; h++)
        {
            for (int w = w0; w < w1; w++)
            {
                T v = plane[h * width + w];
                if (v > max || T.IsNaN(v))
                {
                    max = v;
                    best = h * width + w;
                }
            }
        }
        return best;
    }

    private static void AvgPoolForward<T>(TensorRef x, TensorRef y, Pool2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = new PoolSizes(x, y);
        T* px = x.Ptr<T>(), py = y.Ptr<T>();
        ParallelRange(s.Planes, (from, to) =>
        {
            for (long plane = from; plane < to; plane++)
            {
                T* xp = px + plane * s.InputPlane, yp = py + plane * s.OutputPlane;
                for (int p = 0; p < s.OutH; p++)
                {
                    var (h0, h1) = WindowRange(p, g.StrideH, g.PadH, g.KernelH, s.InH);
                    for (int q = 0; q < s.OutW; q++)
                    {
                        var (w0, w1) = WindowRange(q, g.StrideW, g.PadW, g.KernelW, s.InW);
                        T sum = T.Zero;
                        for (int h = h0; h < h1; h++)
                            for (int w = w0; w < w1; w++)
                                sum += xp[h * s.InW + w];
                        yp[p * s.OutW + q] = sum / AvgDivisor<T>(g, h0, h1, w0, w1);
                    }
                }
            }
        }, PlaneGrain(s.InputPlane));
    }

    private static void AvgPoolBackward<T>(TensorRef gy, TensorRef gx, Pool2dGeometry g) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var s = new PoolSizes(gx, gy);
        T* pgy = gy.Ptr<T>(), pgx = gx.Ptr<T>();
        ParallelRange(s.Planes, (from, to) =>
        {
            for (long plane = from; plane < to; plane++)
            {
                T* gyp = pgy + plane * s.OutputPlane, gxp = pgx + plane * s.InputPlane;
                new Span<T>(gxp, s.InputPlane).Clear();
                for (int p = 0; p < s.OutH; p++)
                {
                    var (h0, h1) = WindowRange(p, g.StrideH, g.PadH, g.KernelH, s.InH);
                    for (int q = 0; q < s.OutW; q++)
                    {
                        var (w0, w1) = WindowRange(q, g.StrideW, g.PadW, g.KernelW, s.InW);
                        T share = gyp[p * s.OutW + q] / AvgDivisor<T>(g, h0, h1, w0, w1);
                        for (int h = h0; h < h1; h++)
                            for (int w = w0; w < w1; w++)
                                gxp[h * s.InW + w] += share;
                    }
                }
            }
        }, PlaneGrain(s.InputPlane));
    }

    /// <summary>The whole window with CountIncludePad, else its in-bounds part. Without ceil_mode a window never
    /// reaches past the padding, so PyTorch's padded window size is always kernelH·kernelW.</summary>
    private static T AvgDivisor<T>(Pool2dGeometry g, int h0, int h1, int w0, int w1) where T : unmanaged, IFloatingPointIeee754<T> =>
        T.CreateTruncating(g.CountIncludePad ? g.KernelH * g.KernelW : (h1 - h0) * (w1 - w0));

    /// <summary>In-bounds input rows [start, end) of output row <paramref name="o"/>'s window (or columns).</summary>
    private static (int Start, int End) WindowRange(int o, int stride, int pad, int kernel, int size)
    {
        int start = o * stride - pad;
        return (Math.Max(start, 0), Math.Min(start + kernel, size));
    }

    /// <summary>Sizes of a pooling op, read from an NCHW input and output.</summary>
    private readonly struct PoolSizes(TensorRef input, TensorRef output)
    {
        public long Planes { get; } = (long)input.Shape[0] * input.Shape[1];

        public int InH { get; } = input.Shape[2];

        public int InW { get; } = input.Shape[3];

        public int OutH { get; } = output.Shape[2];

        public int OutW { get; } = output.Shape[3];

        public int InputPlane => InH * InW;

        public int OutputPlane => OutH * OutW;
    }
}
