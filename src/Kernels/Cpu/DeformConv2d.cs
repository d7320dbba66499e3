using System.Numerics;
using System.Runtime.InteropServices;

namespace NativeMtl.Kernels.Cpu;

/// <summary>Deformable convolution's columns, their two adjoints and their tangent along the offsets, with the
/// arithmetic of kernels/deform_conv.cu in the same order (see <see cref="IBackend.DeformIm2Col"/> for the layout).
/// The columns, the input gradient and the tangent run the (n, c) planes in parallel, each writing only its own plane
/// (so the input gradient needs no atomics); the offset gradient runs the (n, tap) rows in parallel, each summing over
/// the channels in order, as the CUDA kernel does.</summary>
public sealed unsafe partial class CpuBackend
{
    public void DeformIm2Col(TensorRef x, TensorRef offset, TensorRef columns, DeformWindow window)
    {
        var s = new DeformSizes("DeformIm2Col", x, offset, columns, window);
        if (IsDouble(x, "DeformIm2Col")) DeformIm2Col<double>(x, offset, columns, s);
        else DeformIm2Col<float>(x, offset, columns, s);
    }

    public void DeformIm2ColBackwardData(TensorRef gColumns, TensorRef offset, TensorRef gx, DeformWindow window)
    {
        var s = new DeformSizes("DeformIm2ColBackwardData", gx, offset, gColumns, window);
        if (IsDouble(gx, "DeformIm2ColBackwardData")) DeformIm2ColBackwardData<double>(gColumns, offset, gx, s);
        else DeformIm2ColBackwardData<float>(gColumns, offset, gx, s);
    }

    public void DeformIm2ColBackwardOffset(TensorRef gColumns, TensorRef x, TensorRef offset, TensorRef gOffset, DeformWindow window)
    {
        var s = new DeformSizes("DeformIm2ColBackwardOffset", x, offset, gColumns, window);
        if (IsDouble(x, "DeformIm2ColBackwardOffset")) DeformIm2ColBackwardOffset<double>(gColumns, x, offset, gOffset, s);
        else DeformIm2ColBackwardOffset<float>(gColumns, x, offset, gOffset, s);
    }

    public void DeformIm2ColJvpOffset(TensorRef x, TensorRef offset, TensorRef tOffset, TensorRef tColumns, DeformWindow window)
    {
        var s = new DeformSizes("DeformIm2ColJvpOffset", x, offset, tColumns, window);
        if (IsDouble(x, "DeformIm2ColJvpOffset")) DeformIm2ColJvpOffset<double>(x, offset, tOffset, tColumns, s);
        else DeformIm2ColJvpOffset<float>(x, offset, tOffset, tColumns, s);
    }

    private static void DeformIm2Col<T>(TensorRef x, TensorRef offset, TensorRef columns, DeformSizes s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* px = x.Ptr<T>(), po = offset.Ptr<T>(), pc = columns.Ptr<T>();
        ForEachDeformPlane(s, (plane, sample, k, l) =>
        {
            var point = s.Point(po + sample * s.OffsetsPerSample, k, l);
            pc[(plane * s.Taps + k) * s.Positions + l] = point.Value(px + plane * s.InputPlane);
        });
    }

    private static void DeformIm2ColBackwardData<T>(TensorRef gColumns, TensorRef offset, TensorRef gx, DeformSizes s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* pg = gColumns.Ptr<T>(), po = offset.Ptr<T>(), pgx = gx.Ptr<T>();
        NativeMemory.Clear(pgx, (nuint)(s.Planes * s.InputPlane * sizeof(T)));
        ForEachDeformPlane(s, (plane, sample, k, l) =>
        {
            var point = s.Point(po + sample * s.OffsetsPerSample, k, l);
            point.Scatter(pgx + plane * s.InputPlane, pg[(plane * s.Taps + k) * s.Positions + l]);
        });
    }

    private static void DeformIm2ColBackwardOffset<T>(TensorRef gColumns, TensorRef x, TensorRef offset, TensorRef gOffset, DeformSizes s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* pg = gColumns.Ptr<T>(), px = x.Ptr<T>(), po = offset.Ptr<T>(), pgo = gOffset.Ptr<T>();
        ParallelRange((long)s.N * s.Taps, (from, to) =>
        {
            for (long row = from; row < to; row++)
            {
                long n = row / s.Taps;
                int k = (int)(row % s.Taps);
                T* go = pgo + n * s.OffsetsPerSample + 2L * k * s.Positions;
                for (int l = 0; l < s.Positions; l++)
                {
                    var point = s.Point(po + n * s.OffsetsPerSample, k, l);
                    T sumY = T.Zero, sumX = T.Zero;
                    for (int c = 0; c < s.C; c++)
                    {
                        long plane = n * s.C + c;
                        var (dy, dx) = point.Slopes(px + plane * s.InputPlane);
                        T g = pg[(plane * s.Taps + k) * s.Positions + l];
                        sumY += dy * g;
                        sumX += dx * g;
                    }
                    go[l] = sumY;
                    go[s.Positions + l] = sumX;
                }
            }
        }, PlaneGrain((long)s.Positions * s.C));
    }

    private static void DeformIm2ColJvpOffset<T>(TensorRef x, TensorRef offset, TensorRef tOffset, TensorRef tColumns, DeformSizes s)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* px = x.Ptr<T>(), po = offset.Ptr<T>(), pt = tOffset.Ptr<T>(), pc = tColumns.Ptr<T>();
        ForEachDeformPlane(s, (plane, sample, k, l) =>
        {
            var point = s.Point(po + sample * s.OffsetsPerSample, k, l);
            var (dy, dx) = point.Slopes(px + plane * s.InputPlane);
            T* t = pt + sample * s.OffsetsPerSample + 2L * k * s.Positions + l;
            pc[(plane * s.Taps + k) * s.Positions + l] = dy * t[0] + dx * t[s.Positions];
        });
    }

    /// <summary>Runs body(plane, sample, tap, position) for every column element, the (n, c) planes in parallel and each
    /// plane's elements in order.</summary>
    private static void ForEachDeformPlane(DeformSizes s, Action<long, long, int, int> body) =>
        ParallelRange(s.Planes, (from, to) =>
        {
            for (long plane = from; plane < to; plane++)
            for (int k = 0; k < s.Taps; k++)
            for (int l = 0; l < s.Positions; l++)
                body(plane, plane / s.C, k, l);
        }, PlaneGrain((long)s.Taps * s.Positions));

    /// <summary>Sizes of one deformable im2col: the image [N, C, H, W], offsets [N, 2K, P, Q] and columns [N, C·K, P·Q].</summary>
    private readonly struct DeformSizes
    {
        public DeformSizes(string op, TensorRef image, TensorRef offset, TensorRef columns, DeformWindow window)
        {
            if (!image.IsContiguous || !offset.IsContiguous || !columns.IsContiguous)
                throw new ArgumentException($"{op}: {image}, {offset} and {columns} must be contiguous");
            (N, C, H, W) = (image.Shape[0], image.Shape[1], image.Shape[2], image.Shape[3]);
            (OutW, Taps, Window) = (offset.Shape[3], window.Taps, window);
            Positions = offset.Shape[2] * offset.Shape[3];
        }

        public int N { get; }
        public int C { get; }
        public int H { get; }
        public int W { get; }
        public int OutW { get; }
        public int Taps { get; }
        public int Positions { get; }
        public DeformWindow Window { get; }

        public long Planes => (long)N * C;
        public long InputPlane => (long)H * W;
        public long OffsetsPerSample => 2L * Taps * Positions;

        /// <summary>Where tap k of position l samples, given one sample's offsets [2K, P·Q].</summary>
        public DeformPoint<T> Point<T>(T* offsets, int k, int l) where T : unmanaged, IFloatingPointIeee754<T>
        {
            var g = Window;
            int p = l / OutW, q = l - p * OutW, i = k / g.KernelW, j = k - i * g.KernelW;
            T y = T.CreateTruncating(p * g.StrideH - g.PadH + i * g.DilationH) + offsets[2L * k * Positions + l];
            T x = T.CreateTruncating(q * g.StrideW - g.PadW + j * g.DilationW) + offsets[(2L * k + 1) * Positions + l];
            return new DeformPoint<T>(y, x, H, W);
        }
    }

    /// <summary>A bilinear sample of an H×W plane: the top-left corner (Y0, X0) of its four neighbours and the fractions
    /// (Ly, Lx) past it. Outside (−1, H) × (−1, W), or at NaN, nothing is inside: the sample and its slopes are 0, as
    /// torchvision has it.</summary>
    private readonly struct DeformPoint<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly int _y0, _x0, _h, _w;
        private readonly T _ly, _lx;
        private readonly bool _inside;

        public DeformPoint(T y, T x, int h, int w)
        {
            (_h, _w) = (h, w);
            _inside = y > -T.One && y < T.CreateTruncating(h) && x > -T.One && x < T.CreateTruncating(w);
            if (!_inside) return;
            T fy = T.Floor(y), fx = T.Floor(x);
            (_y0, _x0, _ly, _lx) = (int.CreateTruncating(fy), int.CreateTruncating(fx), y - fy, x - fx);
        }

        public T Value(T* plane) =>
            Weight(0, 0) * At(plane, 0, 0) + Weight(0, 1) * At(plane, 0, 1) + Weight(1, 0) * At(plane, 1, 0) + Weight(1, 1) * At(plane, 1, 1);

        /// <summary>The sample's derivatives along y and along x (torchvision's coordinate weights).</summary>
        public (T Dy, T Dx) Slopes(T* plane)
        {
            T v00 = At(plane, 0, 0), v01 = At(plane, 0, 1), v10 = At(plane, 1, 0), v11 = At(plane, 1, 1);
            return (_lx * (v11 - v01) + (T.One - _lx) * (v10 - v00), _ly * (v11 - v10) + (T.One - _ly) * (v01 - v00));
        }

        /// <summary>Adds each corner's share of g to the plane: the transpose of <see cref="Value"/>.</summary>
        public void Scatter(T* plane, T g)
        {
            for (int dy = 0; dy < 2; dy++)
            for (int dx = 0; dx < 2; dx++)
            {
                long index = Index(dy, dx);
                if (index >= 0) plane[index] += Weight(dy, dx) * g;
            }
        }

        private T Weight(int dy, int dx) => (dy == 1 ? _ly : T.One - _ly) * (dx == 1 ? _lx : T.One - _lx);

        private T At(T* plane, int dy, int dx)
        {
            long index = Index(dy, dx);
            return index >= 0 ? plane[index] : T.Zero;
        }

        /// <summary>Plane index of corner (dy, dx), or −1 where it lies outside the image.</summary>
        private long Index(int dy, int dx)
        {
            int y = _y0 + dy, x = _x0 + dx;
            return _inside && y >= 0 && y < _h && x >= 0 && x < _w ? (long)y * _w + x : -1;
        }
    }
}
