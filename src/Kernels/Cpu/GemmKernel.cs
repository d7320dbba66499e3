using System.Numerics;
using System.Runtime.CompilerServices;

namespace NativeMtl.Kernels.Cpu;

/// <summary>Single-matrix GEMM on raw pointers: C = alpha·A·B + beta·C, with A[i,p] at
/// a[i·aRow + p·aCol] and B[p,j] at b[p·bRow + j·bCol] (so a transposed operand is only other strides),
/// and C row-major with leading dimension ldc.
/// <para>The layout follows GotoBLAS/BLIS with the roles turned to suit a row-major C, whose rows take the
/// vectors: for each NC-wide column block of B and each KC-deep slice of k, the KC×NC block of B is packed once
/// (it stays in L2 while every row of A passes over it); then for each MC-row block of A, the MC×KC block is
/// packed, and each MR×KC sliver of it stays in L1 while the micro-kernel sweeps it across the NR-wide slivers
/// of the B block, keeping an MR×NR tile of C in registers for the whole KC loop.</para></summary>
public static unsafe class GemmKernel
{
    /// <summary>Depth of a k slice, in bytes of one row of it: KC = 256 floats or 128 doubles, so the MR×KC sliver
    /// of A that stays in L1 takes 12 KiB of its 32.</summary>
    private const int KcBytes = 1024;

    /// <summary>Size of the packed KC×NC block of B: half of a 1 MiB L2, leaving room for A's block and C's lines.</summary>
    private const int BBlockBytes = 512 * 1024;

    /// <summary>MR-row slivers per packed MC×KC block of A.</summary>
    private const int SliversPerABlock = 12;

    /// <summary>Multiply-adds (m·n·k) below which packing costs more than it saves.</summary>
    private const long TinyWork = 4096;

    /// <summary>Multiply-adds below which waking other threads costs more than they save.</summary>
    private const long ParallelWork = 64 * 64 * 64;

    public static void Multiply<T>(int m, int n, int k, T alpha, T* a, long aRow, long aCol, T* b, long bRow, long bCol,
        T beta, T* c, long ldc, bool parallel = true) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (m <= 0 || n <= 0) return;
        if (k <= 0 || alpha == T.Zero)
        {
            // BLAS semantics: A and B are not read when they cannot contribute.
            Scale(m, n, beta, c, ldc);
            return;
        }
        long work = (long)m * n * k;
        bool threads = parallel && work >= ParallelWork;
        bool vectorizable = typeof(T) == typeof(float) || typeof(T) == typeof(double);
        if (vectorizable && work >= TinyWork && GemmKernel512<T>.IsSupported)
            Blocked<T, GemmKernel512<T>>(m, n, k, alpha, a, aRow, aCol, b, bRow, bCol, beta, c, ldc, threads);
        else if (vectorizable && work >= TinyWork && GemmKernel256<T>.IsSupported)
            Blocked<T, GemmKernel256<T>>(m, n, k, alpha, a, aRow, aCol, b, bRow, bCol, beta, c, ldc, threads);
        else
            Naive(m, n, k, alpha, a, aRow, aCol, b, bRow, bCol, beta, c, ldc);
    }

    /// <summary>Splits C into one stripe per thread along whichever of m and n has more micro-tiles (stripe edges on
    /// tile boundaries), and runs each stripe as an independent serial GEMM. Each thread packs its own operands,
    /// so the threads share nothing and never wait on each other; the price, re-packing the shared operand once
    /// per thread, is small beside the compute.</summary>
    private static void Blocked<T, TKernel>(int m, int n, int k, T alpha, T* a, long aRow, long aCol, T* b, long bRow, long bCol,
        T beta, T* c, long ldc, bool parallel) where T : unmanaged, IFloatingPointIeee754<T> where TKernel : struct, IGemmMicroKernel<T>
    {
        int tilesM = (m + TKernel.MR - 1) / TKernel.MR, tilesN = (n + TKernel.NR - 1) / TKernel.NR;
        bool splitRows = tilesM >= tilesN;
        int tiles = splitRows ? tilesM : tilesN;
        int parts = parallel ? Math.Min(Environment.ProcessorCount, tiles) : 1;
        if (parts <= 1)
        {
            Serial<T, TKernel>(m, n, k, alpha, a, aRow, aCol, b, bRow, bCol, beta, c, ldc);
            return;
        }
        int tilesPerPart = (tiles + parts - 1) / parts;
        Parallel.For(0, parts, part =>
        {
            int firstTile = part * tilesPerPart, lastTile = Math.Min(tiles, firstTile + tilesPerPart);
            if (firstTile >= lastTile) return;
            if (splitRows)
            {
                int from = firstTile * TKernel.MR, to = Math.Min(m, lastTile * TKernel.MR);
                Serial<T, TKernel>(to - from, n, k, alpha, a + from * aRow, aRow, aCol, b, bRow, bCol, beta, c + from * ldc, ldc);
            }
            else
            {
                int from = firstTile * TKernel.NR, to = Math.Min(n, lastTile * TKernel.NR);
                Serial<T, TKernel>(m, to - from, k, alpha, a, aRow, aCol, b + from * bCol, bRow, bCol, beta, c + from, ldc);
            }
        });
    }

    // Kernels are compiled fully optimized at once: a first large call would otherwise spend its time in tier-0 code.
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Serial<T, TKernel>(int m, int n, int k, T alpha, T* a, long aRow, long aCol, T* b, long bRow, long bCol,
        T beta, T* c, long ldc) where T : unmanaged, IFloatingPointIeee754<T> where TKernel : struct, IGemmMicroKernel<T>
    {
        int mr = TKernel.MR, nr = TKernel.NR;
        int kcMax = Math.Min(k, KcBytes / sizeof(T));
        // A shallow k leaves room for a wider B block, and every extra column saves a re-pack of A.
        int ncMax = Math.Min(RoundUp(n, nr), Math.Max(nr, BBlockBytes / (kcMax * sizeof(T)) / nr * nr));
        int mcMax = Math.Min(RoundUp(m, mr), SliversPerABlock * mr);

        nuint aBytes = GemmScratch.Align((nuint)(mcMax * kcMax * sizeof(T)));
        nuint bBytes = GemmScratch.Align((nuint)(kcMax * ncMax * sizeof(T)));
        nuint tileBytes = GemmScratch.Align((nuint)(mr * nr * sizeof(T)));
        var scratch = GemmScratch.Rent();
        try
        {
            byte* memory = scratch.Ensure(aBytes + bBytes + tileBytes);
            T* packedA = (T*)memory, packedB = (T*)(memory + aBytes), tile = (T*)(memory + aBytes + bBytes);

            for (int jc = 0; jc < n; jc += ncMax)
            {
                int nc = Math.Min(ncMax, n - jc);
                for (int pc = 0; pc < k; pc += kcMax)
                {
                    int kc = Math.Min(kcMax, k - pc);
                    // Later slices of k add onto what the first one wrote.
                    T betaHere = pc == 0 ? beta : T.One;
                    GemmPacking.PackB<T, TKernel>(nc, kc, b + pc * bRow + jc * bCol, bRow, bCol, packedB);
                    for (int ic = 0; ic < m; ic += mcMax)
                    {
                        int mc = Math.Min(mcMax, m - ic);
                        GemmPacking.PackA<T, TKernel>(mc, kc, a + ic * aRow + pc * aCol, aRow, aCol, packedA);
                        for (int ir = 0; ir < mc; ir += mr)
                        {
                            int rows = Math.Min(mr, mc - ir);
                            T* sliverA = packedA + ir * kc;
                            T* cRow = c + (ic + ir) * ldc + jc;
                            for (int jr = 0; jr < nc; jr += nr)
                            {
                                int cols = Math.Min(nr, nc - jr);
                                if (rows == mr && cols == nr)
                                {
                                    TKernel.Run(kc, sliverA, packedB + jr * kc, cRow + jr, ldc, alpha, betaHere);
                                }
                                else
                                {
                                    TKernel.Run(kc, sliverA, packedB + jr * kc, tile, nr, T.One, T.Zero);
                                    MergeTile(rows, cols, tile, nr, alpha, betaHere, cRow + jr, ldc);
                                }
                            }
                        }
                    }
                }
            }
        }
        finally
        {
            scratch.Return();
        }
    }

    /// <summary>c = alpha·tile + beta·c over the valid corner of an edge tile.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void MergeTile<T>(int rows, int cols, T* tile, int ldt, T alpha, T beta, T* c, long ldc)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < rows; i++)
        {
            T* t = tile + i * ldt;
            T* ci = c + i * ldc;
            if (beta == T.Zero)
                for (int j = 0; j < cols; j++) ci[j] = alpha * t[j];
            else
                for (int j = 0; j < cols; j++) ci[j] = alpha * t[j] + beta * ci[j];
        }
    }

    /// <summary>C = beta·C, writing zeros without reading C when beta is 0.</summary>
    private static void Scale<T>(int m, int n, T beta, T* c, long ldc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
        {
            var row = new Span<T>(c + i * ldc, n);
            if (beta == T.Zero) row.Clear();
            else if (beta != T.One)
                for (int j = 0; j < n; j++) row[j] *= beta;
        }
    }

    /// <summary>Direct dot products, for problems too small to repay packing, for machines without the vector
    /// kernels' instructions and for element types they do not cover.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Naive<T>(int m, int n, int k, T alpha, T* a, long aRow, long aCol, T* b, long bRow, long bCol,
        T beta, T* c, long ldc) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            T acc = T.Zero;
            T* ai = a + i * aRow, bj = b + j * bCol;
            for (int p = 0; p < k; p++) acc = T.FusedMultiplyAdd(ai[p * aCol], bj[p * bRow], acc);
            T* cij = c + i * ldc + j;
            *cij = beta == T.Zero ? alpha * acc : alpha * acc + beta * *cij;
        }
    }

    private static int RoundUp(int value, int multiple) => (value + multiple - 1) / multiple * multiple;
}
