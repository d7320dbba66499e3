using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace NativeMtl.Kernels.Cpu;

/// <summary>A register-blocked GEMM core: C[MR×NR] = alpha·Ap·Bp + beta·C over one packed sliver pair, where
/// Ap holds MR values of A per k step and Bp holds NR values of B per k step (see <see cref="GemmPacking"/>).
/// Implementations are structs so that the driver, generic over them, is compiled once per kernel with MR and NR
/// as constants. Only float and double reach them.</summary>
internal unsafe interface IGemmMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    static abstract int MR { get; }

    static abstract int NR { get; }

    static abstract bool IsSupported { get; }

    /// <summary>Writes the full MR×NR tile at c (row stride ldc); with beta = 0 it never reads c.
    /// Packed slivers are 64-byte aligned.</summary>
    static abstract void Run(int kc, T* a, T* b, T* c, long ldc, T alpha, T beta);
}

/// <summary>AVX-512: 12×2 accumulator vectors plus two B vectors stay in the 32 vector registers;
/// each A value is broadcast straight from the packed sliver.</summary>
internal readonly unsafe struct GemmKernel512<T> : IGemmMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR => 12;

    public static int NR => 2 * Vector512<T>.Count;

    public static bool IsSupported => Vector512.IsHardwareAccelerated;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, T* a, T* b, T* c, long ldc, T alpha, T beta)
    {
        int w = Vector512<T>.Count;
        Vector512<T> c0Lo = Vector512<T>.Zero, c0Hi = Vector512<T>.Zero;
        Vector512<T> c1Lo = Vector512<T>.Zero, c1Hi = Vector512<T>.Zero;
        Vector512<T> c2Lo = Vector512<T>.Zero, c2Hi = Vector512<T>.Zero;
        Vector512<T> c3Lo = Vector512<T>.Zero, c3Hi = Vector512<T>.Zero;
        Vector512<T> c4Lo = Vector512<T>.Zero, c4Hi = Vector512<T>.Zero;
        Vector512<T> c5Lo = Vector512<T>.Zero, c5Hi = Vector512<T>.Zero;
        Vector512<T> c6Lo = Vector512<T>.Zero, c6Hi = Vector512<T>.Zero;
        Vector512<T> c7Lo = Vector512<T>.Zero, c7Hi = Vector512<T>.Zero;
        Vector512<T> c8Lo = Vector512<T>.Zero, c8Hi = Vector512<T>.Zero;
        Vector512<T> c9Lo = Vector512<T>.Zero, c9Hi = Vector512<T>.Zero;
        Vector512<T> c10Lo = Vector512<T>.Zero, c10Hi = Vector512<T>.Zero;
        Vector512<T> c11Lo = Vector512<T>.Zero, c11Hi = Vector512<T>.Zero;
        // Start fetching the C tile now so that its lines are at hand when the loop ends.
        if (Sse.IsSupported)
            for (int r = 0; r < MR; r++)
            {
                Sse.Prefetch0(c + r * ldc);
                Sse.Prefetch0((byte*)(c + r * ldc) + 64);
            }
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector512.LoadAligned(b);
            var b1 = Vector512.LoadAligned(b + w);
            var a0 = Vector512.Create(a[0]);
            c0Lo = MultiplyAdd(a0, b0, c0Lo);
            c0Hi = MultiplyAdd(a0, b1, c0Hi);
            var a1 = Vector512.Create(a[1]);
            c1Lo = MultiplyAdd(a1, b0, c1Lo);
            c1Hi = MultiplyAdd(a1, b1, c1Hi);
            var a2 = Vector512.Create(a[2]);
            c2Lo = MultiplyAdd(a2, b0, c2Lo);
            c2Hi = MultiplyAdd(a2, b1, c2Hi);
            var a3 = Vector512.Create(a[3]);
            c3Lo = MultiplyAdd(a3, b0, c3Lo);
            c3Hi = MultiplyAdd(a3, b1, c3Hi);
            var a4 = Vector512.Create(a[4]);
            c4Lo = MultiplyAdd(a4, b0, c4Lo);
            c4Hi = MultiplyAdd(a4, b1, c4Hi);
            var a5 = Vector512.Create(a[5]);
            c5Lo = MultiplyAdd(a5, b0, c5Lo);
            c5Hi = MultiplyAdd(a5, b1, c5Hi);
            var a6 = Vector512.Create(a[6]);
            c6Lo = MultiplyAdd(a6, b0, c6Lo);
            c6Hi = MultiplyAdd(a6, b1, c6Hi);
            var a7 = Vector512.Create(a[7]);
            c7Lo = MultiplyAdd(a7, b0, c7Lo);
            c7Hi = MultiplyAdd(a7, b1, c7Hi);
            var a8 = Vector512.Create(a[8]);
            c8Lo = MultiplyAdd(a8, b0, c8Lo);
            c8Hi = MultiplyAdd(a8, b1, c8Hi);
            var a9 = Vector512.Create(a[9]);
            c9Lo = MultiplyAdd(a9, b0, c9Lo);
            c9Hi = MultiplyAdd(a9, b1, c9Hi);
            var a10 = Vector512.Create(a[10]);
            c10Lo = MultiplyAdd(a10, b0, c10Lo);
            c10Hi = MultiplyAdd(a10, b1, c10Hi);
            var a11 = Vector512.Create(a[11]);
            c11Lo = MultiplyAdd(a11, b0, c11Lo);
            c11Hi = MultiplyAdd(a11, b1, c11Hi);
            a += 12;
            b += 2 * w;
        }
        var alphaV = Vector512.Create(alpha);
        var betaV = Vector512.Create(beta);
        Store(c, c0Lo, c0Hi, alphaV, betaV, beta);
        Store(c + ldc, c1Lo, c1Hi, alphaV, betaV, beta);
        Store(c + 2 * ldc, c2Lo, c2Hi, alphaV, betaV, beta);
        Store(c + 3 * ldc, c3Lo, c3Hi, alphaV, betaV, beta);
        Store(c + 4 * ldc, c4Lo, c4Hi, alphaV, betaV, beta);
        Store(c + 5 * ldc, c5Lo, c5Hi, alphaV, betaV, beta);
        Store(c + 6 * ldc, c6Lo, c6Hi, alphaV, betaV, beta);
        Store(c + 7 * ldc, c7Lo, c7Hi, alphaV, betaV, beta);
        Store(c + 8 * ldc, c8Lo, c8Hi, alphaV, betaV, beta);
        Store(c + 9 * ldc, c9Lo, c9Hi, alphaV, betaV, beta);
        Store(c + 10 * ldc, c10Lo, c10Hi, alphaV, betaV, beta);
        Store(c + 11 * ldc, c11Lo, c11Hi, alphaV, betaV, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(T* c, Vector512<T> acc0, Vector512<T> acc1, Vector512<T> alpha, Vector512<T> betaV, T beta)
    {
        T* c1 = c + Vector512<T>.Count;
        if (beta == T.Zero)
        {
            Vector512.Store(alpha * acc0, c);
            Vector512.Store(alpha * acc1, c1);
        }
        else
        {
            Vector512.Store(MultiplyAdd(betaV, Vector512.Load(c), alpha * acc0), c);
            Vector512.Store(MultiplyAdd(betaV, Vector512.Load(c1), alpha * acc1), c1);
        }
    }

    /// <summary>x·y + z in one rounding for T = float or double, the only types the driver sends here; the type
    /// test folds away when the JIT specializes T.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector512<T> MultiplyAdd(Vector512<T> x, Vector512<T> y, Vector512<T> z)
    {
        return typeof(T) == typeof(float)
            ? Vector512.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>()
            : Vector512.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
    }
}

/// <summary>AVX2 + FMA fallback: 6×2 accumulators and two B vectors leave one of the 16 vector
/// registers for the A broadcast.</summary>
internal readonly unsafe struct GemmKernel256<T> : IGemmMicroKernel<T> where T : unmanaged, IFloatingPointIeee754<T>
{
    public static int MR => 6;

    public static int NR => 2 * Vector256<T>.Count;

    public static bool IsSupported => Vector256.IsHardwareAccelerated && Fma.IsSupported;

    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static void Run(int kc, T* a, T* b, T* c, long ldc, T alpha, T beta)
    {
        int w = Vector256<T>.Count;
        Vector256<T> c0Lo = Vector256<T>.Zero, c0Hi = Vector256<T>.Zero;
        Vector256<T> c1Lo = Vector256<T>.Zero, c1Hi = Vector256<T>.Zero;
        Vector256<T> c2Lo = Vector256<T>.Zero, c2Hi = Vector256<T>.Zero;
        Vector256<T> c3Lo = Vector256<T>.Zero, c3Hi = Vector256<T>.Zero;
        Vector256<T> c4Lo = Vector256<T>.Zero, c4Hi = Vector256<T>.Zero;
        Vector256<T> c5Lo = Vector256<T>.Zero, c5Hi = Vector256<T>.Zero;
        // Start fetching the C tile now so that its lines are at hand when the loop ends.
        if (Sse.IsSupported)
            for (int r = 0; r < MR; r++)
            {
                Sse.Prefetch0(c + r * ldc);
                Sse.Prefetch0((byte*)(c + r * ldc) + 64);
            }
        for (int p = 0; p < kc; p++)
        {
            var b0 = Vector256.LoadAligned(b);
            var b1 = Vector256.LoadAligned(b + w);
            var a0 = Vector256.Create(a[0]);
            c0Lo = MultiplyAdd(a0, b0, c0Lo);
            c0Hi = MultiplyAdd(a0, b1, c0Hi);
            var a1 = Vector256.Create(a[1]);
            c1Lo = MultiplyAdd(a1, b0, c1Lo);
            c1Hi = MultiplyAdd(a1, b1, c1Hi);
            var a2 = Vector256.Create(a[2]);
            c2Lo = MultiplyAdd(a2, b0, c2Lo);
            c2Hi = MultiplyAdd(a2, b1, c2Hi);
            var a3 = Vector256.Create(a[3]);
            c3Lo = MultiplyAdd(a3, b0, c3Lo);
            c3Hi = MultiplyAdd(a3, b1, c3Hi);
            var a4 = Vector256.Create(a[4]);
            c4Lo = MultiplyAdd(a4, b0, c4Lo);
            c4Hi = MultiplyAdd(a4, b1, c4Hi);
            var a5 = Vector256.Create(a[5]);
            c5Lo = MultiplyAdd(a5, b0, c5Lo);
            c5Hi = MultiplyAdd(a5, b1, c5Hi);
            a += 6;
            b += 2 * w;
        }
        var alphaV = Vector256.Create(alpha);
        var betaV = Vector256.Create(beta);
        Store(c, c0Lo, c0Hi, alphaV, betaV, beta);
        Store(c + ldc, c1Lo, c1Hi, alphaV, betaV, beta);
        Store(c + 2 * ldc, c2Lo, c2Hi, alphaV, betaV, beta);
        Store(c + 3 * ldc, c3Lo, c3Hi, alphaV, betaV, beta);
        Store(c + 4 * ldc, c4Lo, c4Hi, alphaV, betaV, beta);
        Store(c + 5 * ldc, c5Lo, c5Hi, alphaV, betaV, beta);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void Store(T* c, Vector256<T> acc0, Vector256<T> acc1, Vector256<T> alpha, Vector256<T> betaV, T beta)
    {
        T* c1 = c + Vector256<T>.Count;
        if (beta == T.Zero)
        {
            Vector256.Store(alpha * acc0, c);
            Vector256.Store(alpha * acc1, c1);
        }
        else
        {
            Vector256.Store(MultiplyAdd(betaV, Vector256.Load(c), alpha * acc0), c);
            Vector256.Store(MultiplyAdd(betaV, Vector256.Load(c1), alpha * acc1), c1);
        }
    }

    /// <summary>x·y + z in one rounding for T = float or double, the only types the driver sends here; the type
    /// test folds away when the JIT specializes T.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector256<T> MultiplyAdd(Vector256<T> x, Vector256<T> y, Vector256<T> z)
    {
        return typeof(T) == typeof(float)
            ? Vector256.FusedMultiplyAdd(x.AsSingle(), y.AsSingle(), z.AsSingle()).As<float, T>()
            : Vector256.FusedMultiplyAdd(x.AsDouble(), y.AsDouble(), z.AsDouble()).As<double, T>();
    }
}
