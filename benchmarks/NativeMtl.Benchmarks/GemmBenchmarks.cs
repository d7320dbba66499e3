using System.Runtime.InteropServices;
using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Columns;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
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
        public GemmConfig() => AddColumn(new GflopsColumn());
    }

    /// <summary>2·N³ over the mean time of each case.</summary>
    private sealed class GflopsColumn : IColumn
    {
        public string Id => nameof(GflopsColumn);

        public string ColumnName => "GFLOP/s";

        public bool AlwaysShow => true;

        public ColumnCategory Category => ColumnCategory.Statistics;

        public int PriorityInCategory => 10;

        public bool IsNumeric => true;

        public UnitType UnitType => UnitType.Dimensionless;

        public string Legend => "Billions of floating-point operations per second (2·N³ per product, mean time)";

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase) => GetValue(summary, benchmarkCase, SummaryStyle.Default);

        public string GetValue(Summary summary, BenchmarkCase benchmarkCase, SummaryStyle style)
        {
            var statistics = summary[benchmarkCase]?.ResultStatistics;
            if (statistics is null) return "NA";
            double n = Convert.ToDouble(benchmarkCase.Parameters["N"]);
            return (2 * n * n * n / statistics.Mean).ToString("F1", style.CultureInfo);
        }

        public bool IsDefault(Summary summary, BenchmarkCase benchmarkCase) => false;

        public bool IsAvailable(Summary summary) => true;
    }
}
