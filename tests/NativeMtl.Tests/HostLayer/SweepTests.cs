using NativeMtl.Host;
using NativeMtl.Host.Sweep;

namespace NativeMtl.Tests.HostLayer;

/// <summary>`nativemtl sweep`: a grid of ordinary runs, never rerun when finished, resumed when not.</summary>
public class SweepTests
{
    private static string Sweep(TempFolder folder) =>
        folder.Write("sweep.yaml", """
            base: tiny.yaml
            out: cells
            grid:
              balancer.name: [equal, rlw]
            set:
              training.steps: 2
              training.val_every: 0
            """);

    [Fact]
    public void EveryCombinationRunsOnceAndAFinishedCellIsNotRunAgain()
    {
        using var folder = new TempFolder();
        folder.Write("tiny.yaml", TrainTestKit.TinyConfig);
        var (code, output, _) = TrainTestKit.Run("sweep", "--config", Sweep(folder), "--jobs", "2");
        Assert.True(code == 0, output);
        var finals = new[] { "000-balancer.name=equal", "001-balancer.name=rlw" }.Select(c => Path.Combine(folder["cells"], c, "final_metrics.json")).ToList();
        Assert.All(finals, f => Assert.True(File.Exists(f), f));
        Assert.Contains("\"balancer\": \"rlw\"", File.ReadAllText(finals[1]));
        var written = finals.Select(File.GetLastWriteTimeUtc).ToList();
        (code, output, _) = TrainTestKit.Run("sweep", "--config", Sweep(folder));
        Assert.Equal(0, code);
        Assert.Contains("cell 1 (balancer.name=rlw) was done before", output);
        Assert.Equal(written, finals.Select(File.GetLastWriteTimeUtc));
    }

    [Fact]
    public void ACellStoppedPartWayIsResumed()
    {
        using var folder = new TempFolder();
        folder.Write("tiny.yaml", TrainTestKit.TinyConfig);
        var cell = Path.Combine(folder["cells"], "000-balancer.name=equal");
        Assert.Equal(0, TrainTestKit.Run("train", "--config", folder["tiny.yaml"], "--set", "balancer.name=equal", "--set", "training.steps=2",
            "--set", "training.val_every=0", "--out", cell, "--stop-at", "1").Code);
        Assert.False(File.Exists(Path.Combine(cell, "final_metrics.json")));
        var (code, output, _) = TrainTestKit.Run("sweep", "--config", Sweep(folder));
        Assert.True(code == 0, output);
        Assert.Contains("# resumed", File.ReadAllText(cell + ".log"));
        Assert.True(File.Exists(Path.Combine(cell, "final_metrics.json")));
    }

    [Fact]
    public void AQuotedValueStaysQuotedInItsCellsOverride()
    {
        using var folder = new TempFolder();
        var spec = SweepSpec.Read(folder.Write("sweep.yaml", "out: cells\nlist:\n  - {model.init_from: {file: 'runs/a,b/model.safetensors', prefix: \"encoder.\"}}\n"));
        var cell = Assert.Single(spec.Cells());
        Assert.Equal(["model.init_from={file: 'runs/a,b/model.safetensors', prefix: 'encoder.'}"], cell.Overrides);
        Assert.Equal("runs/a,b/model.safetensors", Path.GetRelativePath(Directory.GetCurrentDirectory(),
            NativeMtl.Host.Config.ConfigReader.Parse("", "run.yaml", cell.Overrides.Select(NativeMtl.Host.Config.ConfigOverride.Parse).ToList()).Model.InitFrom!.File));
    }

    [Fact]
    public void AnUnknownSweepFieldIsOneLineNamingItsLine()
    {
        using var folder = new TempFolder();
        var (code, _, error) = TrainTestKit.Run("sweep", "--config", folder.Write("sweep.yaml", "out: cells\ngrid: {seed: [0, 1]}\njob: 3\n"));
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal($"nativemtl sweep: sweep {folder["sweep.yaml"]} line 3: unknown field 'job' (known: base, out, list, grid, set)", error.Trim());
    }

    [Fact]
    public void EverySetupOfTheListMeetsEveryCombinationOfTheGrid()
    {
        using var folder = new TempFolder();
        var spec = SweepSpec.Read(folder.Write("sweep.yaml", """
            out: cells
            list:
              - {tasks: {seg: main}, balancer.name: equal}
              - {balancer.name: auxilight}
            grid:
              seed: [0, 1]
            """));
        Assert.Equal(
            ["tasks={seg: main},balancer.name=equal,seed=0", "tasks={seg: main},balancer.name=equal,seed=1",
             "balancer.name=auxilight,seed=0", "balancer.name=auxilight,seed=1"],
            spec.Cells().Select(c => string.Join(",", c.Overrides)));
        Assert.Equal("002-balancer.name=auxilight,seed=0", Path.GetFileName(spec.Cells()[2].Folder));
    }
}
