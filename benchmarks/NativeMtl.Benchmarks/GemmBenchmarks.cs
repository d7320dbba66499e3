using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using NativeMtl.Kernels.Cpu;

namespace NativeMtl.Benchmarks;

/// <summary>sgemm C = A·B on row-major N×N matrices, on all cores and on one; the GFLOP/s column counts 2·N³ flops.
/// benchmarks/peers/sgemm_vs_openblas.sh puts the same product beside OpenBLAS.</summary>
[Config(typeof(GemmConfig))]
public unsafe class GemmBenchmarks
{
    private float* _a, _b, _c;

    [Params(256, 512, 1024)]
    public int N { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        nuint bytes = (nuint)((long)N * N * sizeof(float));
        _a = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        _b = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        _c = (float*)NativeMemory.AlignedAlloc(bytes, 64);
        var random = new Random(1);
        for (long i = 0; i < (long)N * N; i++)
        {
            _a[i] = random.NextSingle() - 0.5f;
            _b[i] = random.NextSingle() - 0.5f;
        }
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        NativeMemory.AlignedFree(_a);
        NativeMemory.AlignedFree(_b);
        NativeMemory.AlignedFree(_c);
    }

    [Benchmark]
    public void Sgemm() => GemmKernel.Multiply(N, N, N, 1f, _a, N, 1, _b, N, 1, 0f, _c, N);

    [Benchmark]
    public void SgemmSingleThread() => GemmKernel.Multiply(N, N, N, 1f, _a, N, 1, _b, N, 1, 0f, _c, N, parallel: false);

    private sealed class GemmConfig : ManualConfig
    {
        public GemmConfig() => AddColumn(new GflopsColumn("2·N³ flops per product at the mean time",
            c => 2 * Math.Pow(Convert.ToDouble(c.Parameters["N"]), 3)));
    }
}
