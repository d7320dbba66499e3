using System.Diagnostics;
using NativeMtl.Host.Sweep;

namespace NativeMtl.Tests.HostLayer;

/// <summary>`nativemtl sweep --slurm`: the job array script, and a 2×2 sweep run end to end through a real one-node
/// Slurm cluster on this machine (scripts/slurm_local.sh; CI installs slurm-wlm and munge for it).</summary>
public class SlurmSweepTests
{
    private static string Sweep(TempFolder folder)
    {
        folder.Write("tiny.yaml", TrainTestKit.TinyConfig);
        return folder.Write("sweep.yaml", """
            base: tiny.yaml
            out: cells
            grid:
              balancer.name: [equal, rlw]
              seed: [0, 1]
            set:
              training.steps: 2
              training.val_every: 0
            """);
    }

    [Fact]
    public void TheScriptIsAnArrayOfTheGivenCellsEachRunningItsCellWithTheClustersOptions()
    {
        using var folder = new TempFolder();
        var spec = SweepSpec.Read(Sweep(folder));
        var lines = SlurmSubmission.Script(folder["sweep.yaml"], spec, [1, 3], new SlurmOptions("gpu", 1, "01:30:00", ["--mem=16G", "#SBATCH --qos=short"])).Split('\n');
        Assert.Equal("#!/bin/bash", lines[0]);
        Assert.Equal(
            ["#SBATCH --job-name=nativemtl-sweep", "#SBATCH --array=1,3", $"#SBATCH --output={folder["cells"]}/slurm-%A_%a.out", "#SBATCH --partition=gpu",
             "#SBATCH --gres=gpu:1", "#SBATCH --time=01:30:00", "#SBATCH --mem=16G", "#SBATCH --qos=short"],
            lines.Where(l => l.StartsWith("#SBATCH", StringComparison.Ordinal)));
        Assert.EndsWith($" sweep --config '{folder["sweep.yaml"]}' --cell \"$SLURM_ARRAY_TASK_ID\"", lines.Single(l => l.StartsWith("exec ", StringComparison.Ordinal)));
    }

    [Fact]
    public void ACellIndexOutsideTheSweepIsOneLineNamingTheRange()
    {
        using var folder = new TempFolder();
        var (code, output, _) = TrainTestKit.Run("sweep", "--config", Sweep(folder), "--cell", "4");
        Assert.Equal(Host.ExitCodes.Usage, code);
        Assert.Equal("sweep: no cell 4; the sweep has cells 0 to 3", output.Trim());
    }

    [SkippableFact]
    public void ATwoByTwoSweepRunsEndToEndThroughALocalSlurmCluster()
    {
        Skip.IfNot(new[] { "munged", "mungekey", "slurmctld", "slurmd", "sbatch" }.All(OnPath) && Environment.UserName == "root",
            "needs root and Slurm on PATH (apt-get install slurm-wlm munge)");
        using var folder = new TempFolder();
        var sweep = Sweep(folder);
        var nativemtl = Path.Combine(AppContext.BaseDirectory, "nativemtl");
        // Submit, then wait for the queue to empty (at most two minutes).
        var session = $"'{nativemtl}' sweep --config '{sweep}' --slurm --time 00:05:00 && for _ in $(seq 240); do squeue -h | grep -q . || exit 0; sleep 0.5; done; exit 1";
        var start = new ProcessStartInfo(Path.Combine(TrainTestKit.RepositoryRoot(), "scripts", "slurm_local.sh"), ["bash", "-c", session])
            { RedirectStandardOutput = true, RedirectStandardError = true };
        using var process = Process.Start(start)!;
        var output = process.StandardOutput.ReadToEndAsync();
        var error = process.StandardError.ReadToEnd();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(4)), "the cluster session did not end in 4 minutes");
        Assert.True(process.ExitCode == 0, $"{output.Result}\n{error}");
        Assert.Contains("Submitted batch job", output.Result);
        var cells = SweepSpec.Read(sweep).Cells();
        Assert.All(cells, c => Assert.True(File.Exists(Path.Combine(c.Folder, "final_metrics.json")), File.Exists(c.Folder + ".log") ? File.ReadAllText(c.Folder + ".log") : c.Folder));
        Assert.Equal(4, Directory.EnumerateFiles(folder["cells"], "slurm-*.out").Count());
        Assert.Equal(0, TrainTestKit.Run("sweep", "--summarize", folder["cells"]).Code);
        Assert.Contains("| balancer.name=rlw | 2 |", File.ReadAllText(Path.Combine(folder["cells"], "results.md")));
    }

    private static bool OnPath(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(':').Any(d => d.Length > 0 && File.Exists(Path.Combine(d, tool)));
}
