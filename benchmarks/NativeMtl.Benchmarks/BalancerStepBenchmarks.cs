using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using BenchmarkDotNet.Reports;
using BenchmarkDotNet.Running;
using NativeMtl.Balancers;
using NativeMtl.Kernels.Cuda;

namespace NativeMtl.Benchmarks;

/// <summary>
/// One training step per balancer against Equal on the same model (small hard-sharing ResNet, three tasks) and
/// batch (8 synthetic scenes at 96×128), on the CPU and, when a GPU is usable, on CUDA. Columns: the step time
/// relative to Equal's on the same device, and the most tensor memory a step holds beyond the model, optimizer
/// and batch (measured once per case in the host process).
/// </summary>
[ShortRunJob]
[Config(typeof(Config))]
public class BalancerStepBenchmarks
{
    private BalancerStepBench _bench = null!;

    [ParamsSource(nameof(Balancers))]
    public string Balancer { get; set; } = "equal";

    [ParamsSource(nameof(Devices))]
    public string Device { get; set; } = "cpu";

    public static IEnumerable<string> Balancers => BalancerRegistry.Names;

    public static IEnumerable<string> Devices => CudaRuntime.TryRegister(out _) ? ["cpu", "cuda"] : ["cpu"];

    private static StepBenchConfig Model { get; } = new();

    [GlobalSetup]
    public void Setup()
    {
        if (Device == "cuda") CudaRuntime.TryRegister(out _);
        _bench = new BalancerStepBench(Balancer, Device == "cuda" ? NativeMtl.Device.Cuda() : NativeMtl.Device.Cpu, Model);
        _bench.Step();
    }

    [GlobalCleanup]
    public void Cleanup() => _bench.Dispose();

    [Benchmark]
    public void Step() => _bench.Step();

    private sealed class Config : ManualConfig
    {
        public Config()
        {
            AddColumn(new RatioToEqualColumn());
            AddColumn(new StepPeakMemoryColumn());
        }
    }

    /// <summary>A case's mean over the mean of Equal on the same device.</summary>
    private sealed class RatioToEqualColumn() : CustomColumn("Ratio to Equal", "step time over Equal's on the same device")
    {
        public override string GetValue(Summary summary, BenchmarkCase benchmarkCase)
        {
            var equal = summary.BenchmarksCases.FirstOrDefault(c => (string)c.Parameters["Balancer"] == "equal"
                && (string)c.Parameters["Device"] == (string)benchmarkCase.Parameters["Device"]);
            var mine = summary[benchmarkCase]?.ResultStatistics;
            var baseline = equal is null ? null : summary[equal]?.ResultStatistics;
            return mine is null || baseline is null ? "NA" : (mine.Mean / baseline.Mean).ToString("F2");
        }
    }

    /// <summary>Peak tensor memory of one step in MiB, measured in this process with the case's balancer and device.</summary>
    private sealed class StepPeakMemoryColumn() : CustomColumn("Step peak MiB", "most tensor memory one step holds beyond model, optimizer and batch")
    {
        public override string GetValue(Summary summary, BenchmarkCase benchmarkCase)
        {
            string device = (string)benchmarkCase.Parameters["Device"];
            if (device == "cuda" && !CudaRuntime.TryRegister(out _)) return "NA";
            using var bench = new BalancerStepBench((string)benchmarkCase.Parameters["Balancer"], device == "cuda" ? NativeMtl.Device.Cuda() : NativeMtl.Device.Cpu, Model);
            bench.Step();
            return (bench.MeasureStep().StepPeakBytes / (1024.0 * 1024.0)).ToString("F1");
        }
    }
}
