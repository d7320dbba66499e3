using System.Text.Json.Nodes;
using NativeMtl.Host;

namespace NativeMtl.Tests.HostLayer;

/// <summary>`nativemtl search`: seed 001's auxiliary-module search over short child runs, resumable, its best
/// architecture a train config.</summary>
public class SearchTests
{
    /// <summary>The tiny run on seg and depth, 2 cells for each over its 3 taps; seg alone is main, since ten steps leave
    /// depth's δ thresholds at 0, which would make every reward 0.</summary>
    private static string Search(TempFolder folder, int children = 4, int seed = 0)
    {
        folder.Write("tiny.yaml", TrainTestKit.TinyConfig);
        return folder.Write("search.yaml", $$"""
            base: tiny.yaml
            out: search
            set:
              tasks: {seg: main, depth: auxiliary}
              balancer.name: equal
              model.auxiliary_modules: {channels: 8}
              training.val_every: 0
            child_set:
              data.val_size: 2
            cells: 2
            children: {{children}}
            batch: 2
            child_steps: 10
            seed: {{seed}}
            """);
    }

    private static List<JsonNode> LogLines(TempFolder folder) =>
        File.ReadAllLines(Path.Combine(folder["search"], "search.jsonl")).Select(l => JsonNode.Parse(l)!).ToList();

    [Fact]
    public void ATinySearchTrainsEachChildAndWritesTheBestAsAConfigThatTrains()
    {
        using var folder = new TempFolder();
        var (code, output, error) = TrainTestKit.Run("search", "--config", Search(folder));
        Assert.True(code == 0, output + error);
        var lines = LogLines(folder);
        var children = lines.Where(l => l["child"] is not null).ToList();
        Assert.Equal([0, 1, 2, 3], children.Select(c => c["child"]!.GetValue<int>()));
        Assert.Equal([0, 1], lines.Where(l => l["update"] is not null).Select(l => l["update"]!.GetValue<int>()));
        Assert.All(children, c => Assert.True(File.Exists(Path.Combine(folder["search"], c["folder"]!.GetValue<string>(), "final_metrics.json"))));
        // Two cells for each of the two tasks, five tokens each; the reward is in (0, 1].
        Assert.All(children, c => Assert.Equal(20, c["tokens"]!.AsArray().Count));
        Assert.All(children, c => Assert.InRange(c["reward"]!.GetValue<double>(), 1e-9, 1));
        var best = children.MaxBy(c => c["reward"]!.GetValue<double>())!;
        var yaml = File.ReadAllText(Path.Combine(folder["search"], "best.yaml"));
        Assert.StartsWith($"# nativemtl search: child {best["child"]!.GetValue<int>() + 1}, ", yaml);
        Assert.Contains(best["cells"]!["depth"]![1]!.GetValue<string>(), yaml);
        // The best config keeps the base's length and data, not the children's.
        Assert.Contains("  steps: 6\n", yaml);
        Assert.Contains("  val_size: 4\n", yaml);
        (code, output, error) = TrainTestKit.Run("train", "--config", Path.Combine(folder["search"], "best.yaml"), "--steps", "2", "--out", folder["best-run"]);
        Assert.True(code == 0, output + error);
    }

    [Fact]
    public void ASearchRunAgainReplaysItsLogAndTrainsOnlyTheChildrenItLacks()
    {
        using var folder = new TempFolder();
        Assert.Equal(0, TrainTestKit.Run("search", "--config", Search(folder, children: 2)).Code);
        var first = LogLines(folder).Where(l => l["child"] is not null).Select(l => l.ToJsonString()).ToList();
        var trained = File.GetLastWriteTimeUtc(Path.Combine(folder["search"], "children", "001", "final_metrics.json"));
        var (code, output, error) = TrainTestKit.Run("search", "--config", Search(folder, children: 4));
        Assert.True(code == 0, output + error);
        Assert.Contains("2 children done before", output);
        var children = LogLines(folder).Where(l => l["child"] is not null).Select(l => l.ToJsonString()).ToList();
        Assert.Equal(first, children.Take(2));
        Assert.Equal(4, children.Count);
        Assert.Equal(trained, File.GetLastWriteTimeUtc(Path.Combine(folder["search"], "children", "001", "final_metrics.json")));
    }

    [Fact]
    public void AChildStoppedBeforeItsRewardWasLoggedIsResumedFromItsCheckpoint()
    {
        using var folder = new TempFolder();
        Assert.Equal(0, TrainTestKit.Run("search", "--config", Search(folder, children: 2)).Code);
        // As a search killed in child 2's last validation leaves it: child 1 logged, child 2's run without its final files.
        var log = Path.Combine(folder["search"], "search.jsonl");
        File.WriteAllLines(log, File.ReadAllLines(log).Take(1));
        var child = Path.Combine(folder["search"], "children", "001");
        File.Delete(Path.Combine(child, "final_metrics.json"));
        var (code, output, error) = TrainTestKit.Run("search", "--config", Search(folder, children: 2));
        Assert.True(code == 0, output + error);
        Assert.Contains("1 child done before", output);
        Assert.Contains($"resuming {child} after step 10 of 10", File.ReadAllText(child + ".log"));
        Assert.Equal([0, 1], LogLines(folder).Where(l => l["child"] is not null).Select(l => l["child"]!.GetValue<int>()));
    }

    [Fact]
    public void ALogOfAnotherSearchIsRefused()
    {
        using var folder = new TempFolder();
        Assert.Equal(0, TrainTestKit.Run("search", "--config", Search(folder, children: 2, seed: 0)).Code);
        var (code, _, error) = TrainTestKit.Run("search", "--config", Search(folder, children: 2, seed: 1));
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Equal($"nativemtl search: {Path.Combine(folder["search"], "search.jsonl")}: child 1 was logged with another architecture than this search samples " +
            "(its seed, tasks, cells or controller settings differ from the search that wrote it); give the search a new out folder", error.Trim());
    }

    [Fact]
    public void ChildrenMustFillWholeBatches()
    {
        using var folder = new TempFolder();
        var (code, _, error) = TrainTestKit.Run("search", "--config", folder.Write("search.yaml", "out: s\nchildren: 5\nbatch: 2\n"));
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal($"nativemtl search: search {folder["search.yaml"]} line 2: children (5) must be a multiple of batch (2): the controller learns from whole batches", error.Trim());
    }

    [Fact]
    public void AnUnknownSearchFieldListsTheKnownOnes()
    {
        using var folder = new TempFolder();
        var (code, _, error) = TrainTestKit.Run("search", "--config", folder.Write("search.yaml", "out: s\nchild_step: 5\n"));
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal($"nativemtl search: search {folder["search.yaml"]} line 2: unknown field 'child_step' (known: base, out, set, child_set, tasks, cells, children, batch, child_steps, seed, controller)", error.Trim());
    }
}
