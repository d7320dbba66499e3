using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics.X86;

namespace NativeMtl.Kernels.Cpu;

/// <summary>Copies blocks of A and B into the layouts the micro-kernel streams through: A in slivers of MR rows
/// (MR values per k step), B in slivers of NR columns (NR values per k step). Edge slivers are padded to full
/// width, so edge tiles run the same kernel; the padding is zero because whatever the lanes it feeds compute is
/// discarded, and stale bytes there could be NaNs or denormals that slow the FMAs down. Any strides are accepted,
/// and either unit stride reads contiguously: along the sliver's width the values are copied straight, along k they
/// are transposed in registers, so a transposed operand packs as fast as a row-major one.</summary>
internal static unsafe class GemmPacking
{
    /// <summary>Packs rows × kc of A (A[i,p] at a[i·aRow + p·aCol]) into ⌈rows / MR⌉ slivers of MR·kc.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA<T, TKernel>(int rows, int kc, T* a, long aRow, long aCol, T* dst)
        where T : unmanaged, IFloatingPointIeee754<T> where TKernel : struct, IGemmMicroKernel<T> =>
        PackPanel(rows, TKernel.MR, kc, a, aRow, aCol, dst);

    /// <summary>Packs kc × cols of B (B[p,j] at b[p·bRow + j·bCol]) into ⌈cols / NR⌉ slivers of NR·kc.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB<T, TKernel>(int cols, int kc, T* b, long bRow, long bCol, T* dst)
        where T : unmanaged, IFloatingPointIeee754<T> where TKernel : struct, IGemmMicroKernel<T> =>
        PackPanel(cols, TKernel.NR, kc, b, bCol, bRow, dst);

    /// <summary>Packs an extent × kc panel (element (e, p) at src[e·across + p·along]) into slivers of width (a
    /// constant once inlined, so the row copies unroll).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PackPanel<T>(int extent, int width, int kc, T* src, long across, long along, T* dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int full = extent / width * width;
        if (across == 1)
        {
            // k outermost, so each k row of the panel is read front to back once rather than in sliver-wide pieces.
            for (int p = 0; p < kc; p++)
            {
                T* s = src + p * along;
                T* d = dst + p * width;
                for (int e = 0; e < full; e += width, d += width * kc)
                    Unsafe.CopyBlockUnaligned(d, s + e, (uint)(width * sizeof(T)));
            }
        }
        else
        {
            for (int e = 0; e < full; e += width)
                PackSliver(width, width, kc, src + e * across, across, along, dst + e * kc);
        }
        if (full < extent)
            PackSliver(extent - full, width, kc, src + full * across, across, along, dst + full * kc);
    }

    /// <summary>dst[p·width + r] = src[r·across + p·along] for r below valid, zero for r up to width. The k loop is
    /// outermost, so the writes run straight through dst and the reads advance along all valid rows at once, a
    /// pattern the prefetchers follow even when each row is a separate stream. Rows contiguous along k (a row-major
    /// A, a transposed B) go through 4×4 register transposes.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PackSliver<T>(int valid, int width, int kc, T* src, long across, long along, T* dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        int done = along == 1 && across != 1 ? TransposeBlocks(valid, width, kc, src, across, dst) : 0;
        for (int p = done; p < kc; p++)
        {
            T* s = src + p * along;
            T* d = dst + p * width;
            for (int r = 0; r < valid; r++) d[r] = s[r * across];
            for (int r = valid; r < width; r++) d[r] = T.Zero;
        }
    }

    /// <summary>The first ⌊kc/4⌋·4 steps of <see cref="PackSliver"/> for rows contiguous along k, four rows by four
    /// steps per transpose; returns how many steps it packed (none where the instructions are missing).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static int TransposeBlocks<T>(int valid, int width, int kc, T* src, long across, T* dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool simd = typeof(T) == typeof(float) ? Sse.IsSupported : typeof(T) == typeof(double) && Avx.IsSupported;
        if (!simd) return 0;
        int steps = kc & ~3, rows = valid & ~3;
        for (int p = 0; p < steps; p += 4)
        {
            T* d = dst + p * width;
            for (int r = 0; r < rows; r += 4)
            {
                if (typeof(T) == typeof(float)) Transpose4x4((float*)(src + r * across + p), across, (float*)(d + r), width);
                else Transpose4x4((double*)(src + r * across + p), across, (double*)(d + r), width);
            }
            for (int q = 0; q < 4; q++, d += width)
            {
                T* s = src + p + q;
                for (int r = rows; r < valid; r++) d[r] = s[r * across];
                for (int r = valid; r < width; r++) d[r] = T.Zero;
            }
        }
        return steps;
    }

    /// <summary>Rows s[0..3], s[across..], … become columns of d (row stride width).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x4(float* s, long across, float* d, int width)
    {
        var v0 = Sse.LoadVector128(s);
        var v1 = Sse.LoadVector128(s + across);
        var v2 = Sse.LoadVector128(s + 2 * across);
        var v3 = Sse.LoadVector128(s + 3 * across);
        var lo01 = Sse.UnpackLow(v0, v1);
        var lo23 = Sse.UnpackLow(v2, v3);
        var hi01 = Sse.UnpackHigh(v0, v1);
        var hi23 = Sse.UnpackHigh(v2, v3);
        Sse.Store(d, Sse.MoveLowToHigh(lo01, lo23));
        Sse.Store(d + width, Sse.MoveHighToLow(lo23, lo01));
        Sse.Store(d + 2 * width, Sse.MoveLowToHigh(hi01, hi23));
        Sse.Store(d + 3 * width, Sse.MoveHighToLow(hi23, hi01));
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Transpose4x4(double* s, long across, double* d, int width)
    {
        var v0 = Avx.LoadVector256(s);
        var v1 = Avx.LoadVector256(s + across);
        var v2 = Avx.LoadVector256(s + 2 * across);
        var v3 = Avx.LoadVector256(s + 3 * across);
        var even01 = Avx.UnpackLow(v0, v1);
        var odd01 = Avx.UnpackHigh(v0, v1);
        var even23 = Avx.UnpackLow(v2, v3);
        var odd23 = Avx.UnpackHigh(v2, v3);
        Avx.Store(d, Avx.Permute2x128(even01, even23, 0x20));
        Avx.Store(d + width, Avx.Permute2x128(odd01, odd23, 0x20));
        Avx.Store(d + 2 * width, Avx.Permute2x128(even01, even23, 0x31));
        Avx.Store(d + 3 * width, Avx.Permute2x128(odd01, odd23, 0x31));
    }
}
