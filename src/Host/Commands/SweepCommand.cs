using System.CommandLine;
using NativeMtl.Host.Config;
using NativeMtl.Host.Sweep;

namespace NativeMtl.Host.Commands;

/// <summary><c>nativemtl sweep --config sweep.yaml [--jobs N]</c>: a grid of ordinary training runs (see <see cref="SweepSpec"/>).</summary>
public static class SweepCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var config = new Option<FileInfo>("--config") { Description = "the sweep file: base (a train config), out (the cells' folder), grid (field: [values]) and set (field: value)", Required = true };
        var jobs = Cli.WholeNumber("--jobs", "cells run at once (default 1)", "N");
        var command = new Command("sweep", "train every combination of a grid of config values, each an ordinary run folder; a finished cell is never rerun, an unfinished one resumes");
        command.Options.Add(config);
        command.Options.Add(jobs);
        command.SetAction(parsed =>
        {
            using var stop = new CancellationTokenSource();
            using var signals = new StopSignals(stop, error, "nativemtl sweep: stopping every running cell after its step, with a checkpoint (Ctrl-C again to quit at once)");
            return Run(parsed.GetValue(config)!.FullName, parsed.GetValue(jobs) ?? 1, output, error, stop.Token);
        });
        return command;
    }

    internal static int Run(string path, int jobs, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        SweepSpec spec;
        try
        {
            spec = SweepSpec.Read(path);
        }
        catch (ConfigException e)
        {
            error.WriteLine($"nativemtl sweep: {e.Message}");
            return ExitCodes.Usage;
        }
        return SweepRunner.Run(spec, jobs, output, cancellation);
    }
}
