using System.Diagnostics;
using System.Globalization;
using System.Runtime.InteropServices;
using NativeMtl.Kernels.Cpu;

namespace NativeMtl.Benchmarks;

/// <summary>The `sgemm-peer N [RUNS]` mode: our sgemm timed the way benchmarks/peers/openblas_sgemm.c times
/// OpenBLAS (C = A·B, row-major n×n, preallocated, validated first, one warm-up, median of the runs), printing one
/// JSON line so that sgemm_vs_openblas.sh can put the two side by side.</summary>
public static unsafe class SgemmPeer
{
    public static int Run(string[] args)
    {
        if (args.Length < 1 || !int.TryParse(args[0], out int n) || n <= 0)
        {
            Console.Error.WriteLine("usage: sgemm-peer N [RUNS]");
            return 2;
        }
        int runs = args.Length > 1 ? int.Parse(args[1], CultureInfo.InvariantCulture) : 15;
        long count = (long)n * n;
        float* a = Alloc(count), b = Alloc(count), c = Alloc(count);
        try
        {
            var random = new Random(1);
            for (long i = 0; i < count; i++)
            {
                a[i] = random.NextSingle() - 0.5f;
                b[i] = random.NextSingle() - 0.5f;
            }

            Multiply(n, a, b, c);
            if (!Validate(n, a, b, c)) return 1;

            var times = new double[runs];
            for (int r = 0; r < runs; r++)
            {
                long start = Stopwatch.GetTimestamp();
                Multiply(n, a, b, c);
                times[r] = Stopwatch.GetElapsedTime(start).TotalSeconds;
            }
            Array.Sort(times);
            double median = times[runs / 2];
            Console.WriteLine(string.Create(CultureInfo.InvariantCulture,
                $"{{\"impl\":\"nativemtl\",\"n\":{n},\"gflops\":{2.0 * n * n * n / median * 1e-9:F2},\"median_ms\":{median * 1e3:F3},\"runs\":{runs}}}"));
            return 0;
        }
        finally
        {
            NativeMemory.AlignedFree(a);
            NativeMemory.AlignedFree(b);
            NativeMemory.AlignedFree(c);
        }
    }

    private static void Multiply(int n, float* a, float* b, float* c) =>
        GemmKernel.Multiply(n, n, n, 1f, a, n, 1, b, n, 1, 0f, c, n);

    private static float* Alloc(long count) => (float*)NativeMemory.AlignedAlloc((nuint)(count * sizeof(float)), 64);

    /// <summary>Checks C at a spread of positions against double dot products, with the peer's tolerance.</summary>
    private static bool Validate(int n, float* a, float* b, float* c)
    {
        for (int s = 0; s < 64; s++)
        {
            int i = (int)(s * 7919L % n), j = (int)(s * 104729L % n);
            double expected = 0, magnitude = 0;
            for (int p = 0; p < n; p++)
            {
                double term = (double)a[(long)i * n + p] * b[(long)p * n + j];
                expected += term;
                magnitude += Math.Abs(term);
            }
            if (Math.Abs(c[(long)i * n + j] - expected) > 1e-5 * Math.Sqrt(n) * (magnitude + 1))
            {
                Console.Error.WriteLine($"mismatch at ({i},{j}): {c[(long)i * n + j]} vs {expected}");
                return false;
            }
        }
        return true;
    }
}
