using System.Text.Json.Nodes;
using NativeMtl.Host.Training;
using NativeMtl.Tests.TensorLayer;

namespace NativeMtl.Tests.HostLayer;

/// <summary>run.json's peak memory: a run's own when it had its process to itself, none when another run shared it.
/// In the memory counters' collection, which runs alone, since the counters are process-wide.</summary>
[Collection(nameof(MemoryCounterCollection))]
public class RunPeakMemoryTests
{
    [Fact]
    public void ARunAloneRecordsItsPeakInRunJson()
    {
        using var folder = new TempFolder();
        folder.Write("tiny.yaml", TrainTestKit.TinyConfig);
        Assert.Equal(0, TrainTestKit.Run("train", "--config", folder["tiny.yaml"], "--set", "training.steps=2", "--out", folder["run"]).Code);
        var session = JsonNode.Parse(File.ReadAllText(Path.Combine(folder["run"], "run.json")))!["sessions"]![0]!;
        Assert.InRange((long)session["peak_bytes"]!, 1, long.MaxValue);
    }

    [Fact]
    public void RunsThatOverlapHaveNoPeakOfTheirOwn()
    {
        var first = RunPeakMemory.Begin();
        var second = RunPeakMemory.Begin();
        Assert.Null(second.End());
        Assert.Null(first.End());
        var later = RunPeakMemory.Begin();
        Assert.NotNull(later.End());
    }
}
