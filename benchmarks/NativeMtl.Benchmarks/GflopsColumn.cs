using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;

namespace NativeMtl.Benchmarks;

/// <summary>Achieved GFLOP/s at each case's mean time, from the flop count the benchmark gives for the case.</summary>
internal sealed class GflopsColumn(string legend, Func<BenchmarkCase, double> flops) : CustomColumn("GFLOP/s", legend)
{
    /// <summary>Flops per nanosecond are GFLOP/s.</summary>
    public override string GetValue(Summary summary, BenchmarkCase benchmarkCase) =>
        summary[benchmarkCase]?.ResultStatistics is { } statistics ? (flops(benchmarkCase) / statistics.Mean).ToString("F1") : "NA";
}
