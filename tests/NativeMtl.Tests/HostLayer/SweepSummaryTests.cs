using System.Globalization;
using NativeMtl.Host;
using NativeMtl.Host.Sweep;

namespace NativeMtl.Tests.HostLayer;

/// <summary>`nativemtl sweep --summarize DIR`: figures over seeds, Δ_MTL, ranks, step time and memory, on hand-written
/// run folders whose results are known.</summary>
public class SweepSummaryTests
{
    private const string SingleSeg = "tasks={seg: main}";
    private const string SingleDepth = "tasks={depth: main}";
    private const string Both = "tasks={seg: main, depth: auxiliary}";

    /// <summary>A finished cell: a config with its tasks and batches of 8, a metrics log whose steady images/s are 100,
    /// 50 and 200 (median 100: 80 ms a step) after a warm-up line of 1, the last validation's metrics, and a peak.</summary>
    private static SweepCell Cell(TempFolder folder, int index, string tasks, int seed, IReadOnlyDictionary<string, (string Metric, double Value)> metrics,
        long peakBytes = 10 << 20, bool finished = true, string? strategy = null)
    {
        var name = $"{index:000}-cell";
        var cell = new SweepCell(index, folder[name], [tasks, "balancer.name=equal", .. strategy is null ? Array.Empty<string>() : [strategy], $"seed={seed}"]);
        Directory.CreateDirectory(cell.Folder);
        var taskList = metrics.Keys.ToList();
        File.WriteAllText(Path.Combine(cell.Folder, "config.yaml"),
            $"tasks:\n{string.Concat(taskList.Select((t, k) => $"  {t}: {(k == 0 ? "main" : "auxiliary")}\n"))}training:\n  batch_size: 8\n");
        string Losses() => string.Join(",", taskList.Select(t => $"\"{t}\":1"));
        var lines = new[] { 1.0, 100, 50, 200 }.Select((rate, i) =>
            $"{{\"type\":\"train\",\"step\":{(i + 1) * 10},\"epoch\":1,\"lr\":0.1,\"loss\":{{{Losses()}}},\"weight\":{{{Losses()}}},\"images_per_s\":{rate.ToString(CultureInfo.InvariantCulture)}}}")
            .Append($"{{\"type\":\"val\",\"step\":40,\"epoch\":1,\"metrics\":{{{string.Join(",", metrics.Select(m =>
                $"\"{m.Key}\":{{\"{m.Value.Metric}\":{m.Value.Value.ToString(CultureInfo.InvariantCulture)},\"loss\":0.5}}"))}}}}}");
        File.WriteAllText(Path.Combine(cell.Folder, "metrics.jsonl"), string.Join("\n", lines) + "\n");
        File.WriteAllText(Path.Combine(cell.Folder, "run.json"), $$"""
            {"parameters": 1, "steps_planned": 40, "balancer": "equal", "sessions": [{"started_utc": "2026-11-30T10:00:00Z",
             "ended_utc": "2026-11-30T10:01:00Z", "from_step": 0, "to_step": 40, "device": "cpu", "peak_bytes": {{peakBytes}}}]}
            """);
        if (finished) File.WriteAllText(Path.Combine(cell.Folder, "final_metrics.json"), "{}");
        return cell;
    }

    private static void Manifest(TempFolder folder, params SweepCell[] cells) => File.WriteAllText(folder["sweep.json"],
        $"{{\"cells\": [{string.Join(",", cells.Select(c => $"{{\"index\": {c.Index}, \"folder\": \"{Path.GetFileName(c.Folder)}\", \"overrides\": [{string.Join(",", c.Overrides.Select(o => $"\"{o}\""))}]}}"))}]}}");

    /// <summary>Single-task seg (mIoU 0.3, 0.4), single-task depth (abs_err 0.5, 0.5), and both (mIoU 0.3, 0.4;
    /// abs_err 0.4, 0.5), two seeds each; a third seed of both is unfinished.</summary>
    private static SweepResults ThreeSetups(TempFolder folder)
    {
        Manifest(folder,
            Cell(folder, 0, SingleSeg, 0, new Dictionary<string, (string, double)> { ["seg"] = ("miou", 0.3) }, peakBytes: 10 << 20),
            Cell(folder, 1, SingleSeg, 1, new Dictionary<string, (string, double)> { ["seg"] = ("miou", 0.4) }, peakBytes: 12 << 20),
            Cell(folder, 2, SingleDepth, 0, new Dictionary<string, (string, double)> { ["depth"] = ("abs_err", 0.5) }),
            Cell(folder, 3, SingleDepth, 1, new Dictionary<string, (string, double)> { ["depth"] = ("abs_err", 0.5) }),
            Cell(folder, 4, Both, 0, new Dictionary<string, (string, double)> { ["seg"] = ("miou", 0.3), ["depth"] = ("abs_err", 0.4) }),
            Cell(folder, 5, Both, 1, new Dictionary<string, (string, double)> { ["seg"] = ("miou", 0.4), ["depth"] = ("abs_err", 0.5) }),
            Cell(folder, 6, Both, 2, new Dictionary<string, (string, double)> { ["seg"] = ("miou", 0.9), ["depth"] = ("abs_err", 0.1) }, finished: false));
        return SweepResults.Read(folder.Path);
    }

    [Fact]
    public void EachSetupHasTheMeanAndSampleStdOfItsSeeds()
    {
        using var folder = new TempFolder();
        var seg = ThreeSetups(folder).Groups[0];
        Assert.Equal($"{SingleSeg}, balancer.name=equal", seg.Label);
        var miou = seg.Metric("seg", "miou")!.Value;
        Assert.Equal(0.35, miou.Mean, 12);
        Assert.Equal(Math.Sqrt(0.005), miou.Std, 12);
        Assert.Equal(2, miou.Count);
        Assert.Equal(11, seg.PeakMiB.Mean, 12);
        Assert.Equal(80, seg.StepMs.Mean, 12);
    }

    [Fact]
    public void DeltaMtlAveragesEachTasksRelativeGainOverItsSingleTaskSetup()
    {
        using var folder = new TempFolder();
        var groups = ThreeSetups(folder).Groups;
        // seg: +(0.35 − 0.35)/0.35 = 0 %; depth (lower is better): −(0.45 − 0.5)/0.5 = +10 %; the mean over the two tasks.
        Assert.Equal(5, groups[2].DeltaMtl!.Value, 9);
        Assert.Null(groups[0].DeltaMtl);
    }

    [Fact]
    public void TrainingOnlyStrategiesAreComparedWithTheSingleTaskSetupsWithoutThem()
    {
        using var folder = new TempFolder();
        Manifest(folder,
            Cell(folder, 0, SingleSeg, 0, new Dictionary<string, (string, double)> { ["seg"] = ("miou", 0.4) }, strategy: "model.auxiliary_modules=null"),
            Cell(folder, 1, Both, 0, new Dictionary<string, (string, double)> { ["seg"] = ("miou", 0.5), ["depth"] = ("abs_err", 0.4) }, strategy: "model.auxiliary_modules={channels: 32}"),
            Cell(folder, 2, Both, 0, new Dictionary<string, (string, double)> { ["seg"] = ("miou", 0.3), ["depth"] = ("abs_err", 0.4) }, strategy: "model.deep_supervision={weight: 0.1}"));
        var groups = SweepResults.Read(folder.Path).Groups;
        // Against single-task seg (depth has none): +(0.5 − 0.4)/0.4 = +25 %, +(0.3 − 0.4)/0.4 = −25 %. Ranks: mIoU 2, 1, 3;
        // abs_err ties the two strategies at 1.5.
        Assert.Equal([25, -25], groups.Skip(1).Select(g => Math.Round(g.DeltaMtl!.Value, 9)));
        Assert.Equal([2, 1.25, 2.25], groups.Select(g => g.MeanRank!.Value));
    }

    [Fact]
    public void RanksAreAmongTheSetupsReportingEachMetricWithTiesSharingTheirPlaces()
    {
        using var folder = new TempFolder();
        var groups = ThreeSetups(folder).Groups;
        // mIoU: both and single seg tie at 0.35 (1.5 each); abs_err: both 0.45 first, single depth 0.5 second.
        Assert.Equal([1.5, 2, 1.25], groups.Select(g => g.MeanRank!.Value));
    }

    [Fact]
    public void AnUnfinishedCellIsLeftOutAndNamed()
    {
        using var folder = new TempFolder();
        var results = ThreeSetups(folder);
        Assert.Equal([6], results.Unfinished.Select(c => c.Index));
        Assert.Equal(2, results.Groups[2].Cells.Count);
        var (code, output, _) = TrainTestKit.Run("sweep", "--summarize", folder.Path);
        Assert.True(code == 0, output);
        Assert.Contains("(1 not finished, left out)", output);
        Assert.Contains("Not finished, left out: cell 6 (tasks={seg: main, depth: auxiliary}, balancer.name=equal, seed=2).", File.ReadAllText(folder["results.md"]));
    }

    [Fact]
    public void TheFilesCarryTheFiguresWithTheirDirections()
    {
        using var folder = new TempFolder();
        ThreeSetups(folder);
        Assert.Equal(0, TrainTestKit.Run("sweep", "--summarize", folder.Path).Code);
        var md = File.ReadAllText(folder["results.md"]);
        Assert.Contains("| setup | seeds | miou ↑ | loss ↓ |", md);
        Assert.Contains($"| {Both}, balancer.name=equal | 2 | 0.35 ± 0.07071 | 0.5 ± 0 |", md);
        Assert.Contains($"| {Both}, balancer.name=equal | 2 | 5.00 | 1.25 | 80 ± 0 | 10 ± 0 |", md);
        var csv = File.ReadAllLines(folder["results.csv"]);
        Assert.Contains($"\"{Both}, balancer.name=equal\",,2,depth,abs_err,lower,0.45,0.07071", csv);
        Assert.Contains($"\"{Both}, balancer.name=equal\",,2,(run),delta_mtl_percent,higher,5,", csv);
        var html = System.Net.WebUtility.HtmlDecode(File.ReadAllText(folder["results.html"]));
        Assert.Contains("seg miou ↑ (mean ± std over seeds)", html);
        Assert.Contains("depth abs_err ↓ (mean ± std over seeds)", html);
        Assert.Contains("step time ↓", html);
    }

    [Fact]
    public void AFolderWithoutASweepManifestIsOneLineNamingIt()
    {
        using var folder = new TempFolder();
        var (code, _, error) = TrainTestKit.Run("sweep", "--summarize", folder.Path);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal($"nativemtl sweep --summarize: {folder.Path}: no sweep.json, so not a sweep's out folder (nativemtl sweep writes it when it starts)", error.Trim());
    }
}
