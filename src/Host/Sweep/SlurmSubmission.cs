using System.Diagnostics;
using System.Globalization;
using System.Reflection;
using System.Text;

namespace NativeMtl.Host.Sweep;

/// <summary>What <c>sweep --slurm</c> asks of the cluster: a partition, GPUs per cell, a time limit per cell and any
/// further <c>#SBATCH</c> lines, each null or empty where the cluster's default should hold.</summary>
internal sealed record SlurmOptions(string? Partition, int? Gpus, string? Time, IReadOnlyList<string> ExtraLines);

/// <summary>
/// <c>nativemtl sweep --config sweep.yaml --slurm</c>: out/sweep.sbatch, a job array with one array task per unfinished
/// cell (its index is the cell's), each running <c>nativemtl sweep --config sweep.yaml --cell $SLURM_ARRAY_TASK_ID</c>
/// with this same nativemtl, its Slurm output in out/slurm-JOB_CELL.out and its training log beside its folder as
/// locally; then <c>sbatch</c> submits it.
/// </summary>
internal static class SlurmSubmission
{
    public const string ScriptName = "sweep.sbatch";

    public static string Script(string sweepFile, SweepSpec spec, IReadOnlyList<int> cells, SlurmOptions options)
    {
        var script = new StringBuilder("#!/bin/bash\n")
            .Append(CultureInfo.InvariantCulture, $"#SBATCH --job-name=nativemtl-{Path.GetFileNameWithoutExtension(sweepFile)}\n")
            .Append(CultureInfo.InvariantCulture, $"#SBATCH --array={string.Join(",", cells)}\n")
            .Append(CultureInfo.InvariantCulture, $"#SBATCH --output={spec.Out}/slurm-%A_%a.out\n");
        if (options.Partition is { Length: > 0 } partition) script.Append(CultureInfo.InvariantCulture, $"#SBATCH --partition={partition}\n");
        if (options.Gpus is { } gpus) script.Append(CultureInfo.InvariantCulture, $"#SBATCH --gres=gpu:{gpus}\n");
        if (options.Time is { Length: > 0 } time) script.Append(CultureInfo.InvariantCulture, $"#SBATCH --time={time}\n");
        foreach (var line in options.ExtraLines) script.Append(line.StartsWith('#') ? line : $"#SBATCH {line}").Append('\n');
        return script.Append(CultureInfo.InvariantCulture, $"exec {SelfCommand()} sweep --config {Shell(Path.GetFullPath(sweepFile))} --cell \"$SLURM_ARRAY_TASK_ID\"\n").ToString();
    }

    /// <summary>Writes the script for the unfinished cells and submits it; the exit code and what to say.</summary>
    public static (int Code, string Message) Submit(string sweepFile, SweepSpec spec, SlurmOptions options)
    {
        var cells = spec.Cells().Where(c => !c.IsDone).Select(c => c.Index).ToList();
        if (cells.Count == 0) return (ExitCodes.Success, $"every cell of {spec.Out} is done; nothing to submit");
        SweepManifest.Write(spec);
        var path = Path.Combine(spec.Out, ScriptName);
        AtomicText.Write(path, Script(sweepFile, spec, cells, options));
        var start = new ProcessStartInfo("sbatch", [path]) { RedirectStandardOutput = true, RedirectStandardError = true };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return (ExitCodes.Failed, $"sbatch not found on PATH (is this a Slurm login node?); the script is {path}, submit it with sbatch where Slurm runs");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEnd();
            process.WaitForExit();
            return process.ExitCode == 0
                ? (ExitCodes.Success, $"{stdout.Result.Trim()}: {cells.Count} cells as an array ({path}); each cell's log is beside its folder in {spec.Out}")
                : (ExitCodes.Failed, $"sbatch {path} failed (exit {process.ExitCode}): {stderr.Trim()}");
        }
    }

    /// <summary>This nativemtl as a command line: the apphost or single-file bundle itself, or dotnet with this assembly.</summary>
    private static string SelfCommand()
    {
        var process = Environment.ProcessPath ?? "nativemtl";
        return Path.GetFileNameWithoutExtension(process) == "dotnet" ? $"{Shell(process)} {Shell(Assembly.GetEntryAssembly()!.Location)}" : Shell(process);
    }

    private static string Shell(string word) => $"'{word.Replace("'", "'\\''", StringComparison.Ordinal)}'";
}
