using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace NativeMtl.Kernels.Cpu;

/// <summary>Sizes of one convolution over contiguous NCHW input, KCRS weights and NKPQ output.</summary>
internal readonly struct ConvShape
{
    public ConvShape(string op, TensorRef x, TensorRef w, TensorRef y, Conv2dGeometry g)
    {
        if (!x.IsContiguous || !w.IsContiguous || !y.IsContiguous)
            throw new ArgumentException($"{op}: {x}, {w} and {y} must be contiguous");
        (N, C, H, W) = (x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]);
        (K, R, S) = (w.Shape[0], w.Shape[2], w.Shape[3]);
        (P, Q) = (y.Shape[2], y.Shape[3]);
        Geometry = g;
        Groups = g.Groups;
        ChannelsPerGroup = C / Groups;
        FiltersPerGroup = K / Groups;
    }

    public int N { get; }
    public int C { get; }
    public int H { get; }
    public int W { get; }
    public int K { get; }
    public int R { get; }
    public int S { get; }
    public int P { get; }
    public int Q { get; }
    public int Groups { get; }
    public int ChannelsPerGroup { get; }
    public int FiltersPerGroup { get; }
    public Conv2dGeometry Geometry { get; }

    public long InputPlane => (long)H * W;
    public long OutputPlane => (long)P * Q;

    /// <summary>Rows of the column matrix: one per weight of a filter, C/groups·R·S.</summary>
    public int PatchSize => ChannelsPerGroup * R * S;

    /// <summary>A 1×1, stride-1, unpadded convolution: x of one sample and group already is the column matrix.</summary>
    public bool Pointwise => R == 1 && S == 1 && Geometry is { StrideH: 1, StrideW: 1, PadH: 0, PadW: 0 };

    public long ColumnElements => PatchSize * OutputPlane;
}

/// <summary>Unfolding of input patches into a column matrix [C/groups·R·S, P·Q] and folding it back.
/// Row (c·R + r)·S + s holds x[c, p·strideH − padH + r·dilationH, q·strideW − padW + s·dilationW] at
/// column p·Q + q, zero where that lies in the padding.</summary>
internal static unsafe class Im2Col
{
    /// <summary>Fills <paramref name="col"/> from the C/groups channels of one sample at <paramref name="x"/>.</summary>
    public static void Unfold<T>(T* x, T* col, in ConvShape s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = s.Geometry;
        for (int c = 0; c < s.ChannelsPerGroup; c++)
        for (int r = 0; r < s.R; r++)
        {
            int hOffset = r * g.DilationH - g.PadH;
            var (pLo, pHi) = ValidRange(s.H, s.P, g.StrideH, hOffset);
            for (int k = 0; k < s.S; k++)
            {
                int wOffset = k * g.DilationW - g.PadW;
                var (qLo, qHi) = ValidRange(s.W, s.Q, g.StrideW, wOffset);
                T* row = col + ((long)(c * s.R + r) * s.S + k) * s.OutputPlane;
                T* plane = x + c * s.InputPlane;
                for (int p = 0; p < s.P; p++)
                {
                    T* dst = row + (long)p * s.Q;
                    if (p < pLo || p >= pHi)
                    {
                        new Span<T>(dst, s.Q).Clear();
                        continue;
                    }
                    // src[q·strideW] is x[h, q·strideW + wOffset]; only q in [qLo, qHi) is read.
                    T* src = plane + (long)(p * g.StrideH + hOffset) * s.W + wOffset;
                    new Span<T>(dst, qLo).Clear();
                    if (g.StrideW == 1) new ReadOnlySpan<T>(src + qLo, qHi - qLo).CopyTo(new Span<T>(dst + qLo, qHi - qLo));
                    else for (int q = qLo; q < qHi; q++) dst[q] = src[(long)q * g.StrideW];
                    new Span<T>(dst + qHi, s.Q - qHi).Clear();
                }
            }
        }
    }

    /// <summary>Overwrites the C/groups channels of one sample at <paramref name="x"/> with the sum, per input
    /// position, of every column entry that <see cref="Unfold{T}"/> would have copied from it.</summary>
    public static void Fold<T>(T* col, T* x, in ConvShape s) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var g = s.Geometry;
        NativeMemory.Clear(x, (nuint)(s.ChannelsPerGroup * s.InputPlane * sizeof(T)));
        for (int c = 0; c < s.ChannelsPerGroup; c++)
        for (int r = 0; r < s.R; r++)
        {
            int hOffset = r * g.DilationH - g.PadH;
            var (pLo, pHi) = ValidRange(s.H, s.P, g.StrideH, hOffset);
            for (int k = 0; k < s.S; k++)
            {
                int wOffset = k * g.DilationW - g.PadW;
                var (qLo, qHi) = ValidRange(s.W, s.Q, g.StrideW, wOffset);
                if (qLo == qHi) continue;
                T* row = col + ((long)(c * s.R + r) * s.S + k) * s.OutputPlane;
                T* plane = x + c * s.InputPlane;
                for (int p = pLo; p < pHi; p++)
                {
                    T* src = row + (long)p * s.Q;
                    T* dst = plane + (long)(p * g.StrideH + hOffset) * s.W + wOffset;
                    if (g.StrideW == 1)
                    {
                        var target = new Span<T>(dst + qLo, qHi - qLo);
                        TensorPrimitives.Add(target, new ReadOnlySpan<T>(src + qLo, qHi - qLo), target);
                    }
                    else
                    {
                        for (int q = qLo; q < qHi; q++) dst[(long)q * g.StrideW] += src[q];
                    }
                }
            }
        }
    }

    /// <summary>The output indices [lo, hi) of [0, outputSize) whose input index i·stride + offset lies in [0, inputSize).</summary>
    private static (int Lo, int Hi) ValidRange(int inputSize, int outputSize, int stride, int offset)
    {
        int lo = offset >= 0 ? 0 : (-offset + stride - 1) / stride;
        int hi = inputSize - 1 - offset < 0 ? 0 : (inputSize - 1 - offset) / stride + 1;
        lo = Math.Min(lo, outputSize);
        hi = Math.Clamp(hi, lo, outputSize);
        return (lo, hi);
    }
}
