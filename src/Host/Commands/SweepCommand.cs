using System.CommandLine;
using NativeMtl.Host.Config;
using NativeMtl.Host.Sweep;
using NativeMtl.Host.Training;

namespace NativeMtl.Host.Commands;

/// <summary>
/// <c>nativemtl sweep --config sweep.yaml [--jobs N]</c>: a grid of ordinary training runs (see <see cref="SweepSpec"/>);
/// with <c>--slurm</c> the same as a Slurm job array (<see cref="SlurmSubmission"/>), whose tasks run <c>--cell N</c>;
/// <c>--summarize DIR</c> tabulates a sweep's out folder (<see cref="SweepSummary"/>).
/// </summary>
public static class SweepCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var config = new Option<FileInfo>("--config") { Description = "the sweep file: base (a train config), out (the cells' folder), list (setups), grid (field: [values]) and set (field: value)" };
        var jobs = Cli.WholeNumber("--jobs", "cells run at once in this process (default 1)", "N");
        var cell = new Option<int?>("--cell") { Description = "run only this cell (what each task of a --slurm job array runs)", HelpName = "N" };
        var slurm = new Option<bool>("--slurm") { Description = "write out/sweep.sbatch, a job array of the unfinished cells, and submit it with sbatch" };
        var partition = new Option<string?>("--partition") { Description = "--slurm: the partition to run in" };
        var gpus = Cli.WholeNumber("--gpus", "--slurm: GPUs per cell (--gres=gpu:N)", "N");
        var time = new Option<string?>("--time") { Description = "--slurm: the time limit per cell, as sbatch takes it (such as 02:00:00)" };
        var sbatch = new Option<string[]>("--sbatch") { Description = "--slurm: a further #SBATCH line, such as \"--mem=16G\" (repeatable)", HelpName = "LINE" };
        var summarize = new Option<DirectoryInfo?>("--summarize") { Description = "write results.md, results.csv and results.html of a sweep's out folder: mean ± std over seeds, Δ_MTL, ranks, plots", HelpName = "DIR" };
        var command = new Command("sweep", "train every combination of a grid of config values, each an ordinary run folder; a finished cell is never rerun, an unfinished one resumes");
        foreach (var option in new Option[] { config, jobs, cell, slurm, partition, gpus, time, sbatch, summarize }) command.Options.Add(option);
        command.SetAction(parsed =>
        {
            if (parsed.GetValue(summarize) is { } folder)
                return Summarize(folder.FullName, output, error);
            if (parsed.GetValue(config) is not { } file)
            {
                error.WriteLine("nativemtl sweep: --config sweep.yaml is required (or --summarize DIR)");
                return ExitCodes.Usage;
            }
            if (!TryRead(file.FullName, error, out var spec)) return ExitCodes.Usage;
            if (parsed.GetValue(slurm))
            {
                var (code, message) = SlurmSubmission.Submit(file.FullName, spec,
                    new SlurmOptions(parsed.GetValue(partition), parsed.GetValue(gpus), parsed.GetValue(time), parsed.GetValue(sbatch) ?? []));
                (code == ExitCodes.Success ? output : error).WriteLine(code == ExitCodes.Success ? $"nativemtl sweep: {message}" : $"nativemtl sweep --slurm: {message}");
                return code;
            }
            using var stop = new CancellationTokenSource();
            using var signals = new StopSignals(stop, error, "nativemtl sweep: stopping every running cell after its step, with a checkpoint (Ctrl-C again to quit at once)");
            return parsed.GetValue(cell) is { } index
                ? SweepRunner.RunOne(spec, index, output, stop.Token)
                : SweepRunner.Run(spec, parsed.GetValue(jobs) ?? 1, output, stop.Token);
        });
        return command;
    }

    private static bool TryRead(string path, TextWriter error, out SweepSpec spec)
    {
        try
        {
            spec = SweepSpec.Read(path);
            return true;
        }
        catch (ConfigException e)
        {
            error.WriteLine($"nativemtl sweep: {e.Message}");
            spec = null!;
            return false;
        }
    }

    private static int Summarize(string folder, TextWriter output, TextWriter error)
    {
        try
        {
            var results = SweepResults.Read(folder);
            SweepSummary.Write(results);
            output.WriteLine($"nativemtl sweep: {results.Groups.Sum(g => g.Cells.Count)} finished cells in {results.Groups.Count} setups" +
                $"{(results.Unfinished.Count > 0 ? $" ({results.Unfinished.Count} not finished, left out)" : "")}: {Path.Combine(folder, "results.md")}, results.csv, results.html");
            return ExitCodes.Success;
        }
        catch (RunInputException e)
        {
            error.WriteLine($"nativemtl sweep --summarize: {e.Message}");
            return ExitCodes.Usage;
        }
    }
}
