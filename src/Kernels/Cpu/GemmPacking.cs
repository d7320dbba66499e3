using System.Numerics;
using System.Runtime.CompilerServices;

namespace NativeMtl.Kernels.Cpu;

/// <summary>Copies blocks of A and B into the layouts the micro-kernel streams through: A in slivers of MR rows
/// (MR values per k step), B in slivers of NR columns (NR values per k step). Edge slivers are padded to full
/// width, so edge tiles run the same kernel; the padding is zero because whatever the lanes it feeds compute is
/// discarded, and stale bytes there could be NaNs or denormals that slow the FMAs down. Any strides are accepted; the loops run along whichever stride
/// is smaller, so a row-major operand and a transposed one are both read contiguously.</summary>
internal static unsafe class GemmPacking
{
    /// <summary>Packs rows × kc of A (A[i,p] at a[i·aRow + p·aCol]) into ⌈rows / MR⌉ slivers of MR·kc.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackA<T, TKernel>(int rows, int kc, T* a, long aRow, long aCol, T* dst)
        where T : unmanaged, IFloatingPointIeee754<T> where TKernel : struct, IGemmMicroKernel<T>
    {
        int mr = TKernel.MR;
        for (int i = 0; i < rows; i += mr, dst += mr * kc)
            PackSliver(Math.Min(mr, rows - i), mr, kc, a + i * aRow, aRow, aCol, dst);
    }

    /// <summary>Packs kc × cols of B (B[p,j] at b[p·bRow + j·bCol]) into ⌈cols / NR⌉ slivers of NR·kc.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void PackB<T, TKernel>(int cols, int kc, T* b, long bRow, long bCol, T* dst)
        where T : unmanaged, IFloatingPointIeee754<T> where TKernel : struct, IGemmMicroKernel<T>
    {
        int nr = TKernel.NR;
        for (int j = 0; j < cols; j += nr, dst += nr * kc)
        {
            int width = Math.Min(nr, cols - j);
            T* src = b + j * bCol;
            if (bCol == 1 && width == nr)
                for (int p = 0; p < kc; p++)
                    Unsafe.CopyBlockUnaligned(dst + p * nr, src + p * bRow, (uint)(nr * sizeof(T)));
            else
                PackSliver(width, nr, kc, src, bCol, bRow, dst);
        }
    }

    /// <summary>dst[p·width + r] = src[r·across + p·along] for r below valid, zero for r up to width. The loop
    /// runs along the smaller of the two strides, so reads are contiguous when either of them is 1.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PackSliver<T>(int valid, int width, int kc, T* src, long across, long along, T* dst)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (Math.Abs(across) <= Math.Abs(along))
        {
            for (int p = 0; p < kc; p++)
            {
                T* s = src + p * along;
                T* d = dst + p * width;
                for (int r = 0; r < valid; r++) d[r] = s[r * across];
                for (int r = valid; r < width; r++) d[r] = T.Zero;
            }
            return;
        }
        for (int r = 0; r < valid; r++)
        {
            T* s = src + r * across;
            T* d = dst + r;
            for (int p = 0; p < kc; p++) d[p * width] = s[p * along];
        }
        if (valid < width)
            for (int p = 0; p < kc; p++)
                new Span<T>(dst + p * width + valid, width - valid).Clear();
    }
}
