using System.Collections.Concurrent;
using System.Diagnostics;
using NativeMtl.Host.Commands;

namespace NativeMtl.Host.Sweep;

/// <summary>
/// Runs a sweep's cells, <c>jobs</c> at a time on threads of this process, each an ordinary <c>train</c> whose output
/// goes to <c>NNN-….log</c> beside its folder. A cell with final_metrics.json is never run again; one whose folder
/// exists without it is resumed from its checkpoint; a cancelled sweep (Ctrl-C) stops every running cell after its
/// step, with a checkpoint, and starts no more, so running the sweep again finishes it. A line after each cell says
/// how many are done, running and failed, with the time left at the pace of the cells run so far.
/// </summary>
internal static class SweepRunner
{
    public static int Run(SweepSpec spec, int jobs, TextWriter output, CancellationToken cancellation)
    {
        var cells = spec.Cells();
        SweepManifest.Write(spec);
        var queue = new ConcurrentQueue<SweepCell>(cells);
        var failures = new ConcurrentBag<(SweepCell Cell, int Code)>();
        var durations = new ConcurrentBag<double>();
        int done = 0, running = 0, interrupted = 0;
        var gate = new object();
        void Report(string what)
        {
            lock (gate)
            {
                int left = cells.Count - done - failures.Count;
                string eta = durations.IsEmpty || left == 0 ? "" : $", about {Duration(durations.Average() * left / jobs)} left";
                output.WriteLine($"sweep: {what} | {done} of {cells.Count} done, {running} running, {failures.Count} failed{eta}");
            }
        }
        var workers = Enumerable.Range(0, Math.Max(1, Math.Min(jobs, cells.Count))).Select(_ => new Thread(() =>
        {
            while (!cancellation.IsCancellationRequested && queue.TryDequeue(out var cell))
            {
                if (cell.IsDone)
                {
                    Interlocked.Increment(ref done);
                    Report($"cell {cell.Index} ({cell.Label}) was done before");
                    continue;
                }
                Interlocked.Increment(ref running);
                Report($"cell {cell.Index} ({cell.Label}) starts");
                var clock = Stopwatch.StartNew();
                int code = RunCell(spec, cell, cancellation);
                Interlocked.Decrement(ref running);
                if (code == ExitCodes.Success)
                {
                    Interlocked.Increment(ref done);
                    durations.Add(clock.Elapsed.TotalSeconds);
                    Report($"cell {cell.Index} done in {Duration(clock.Elapsed.TotalSeconds)}");
                }
                else if (code == ExitCodes.Interrupted) Interlocked.Increment(ref interrupted);
                else
                {
                    failures.Add((cell, code));
                    Report($"cell {cell.Index} failed (exit {code}, see {cell.Folder}.log)");
                }
            }
        }) { Name = "sweep cell" }).ToList();
        workers.ForEach(w => w.Start());
        workers.ForEach(w => w.Join());
        if (cancellation.IsCancellationRequested)
        {
            output.WriteLine($"sweep: stopped; {done} of {cells.Count} done, {interrupted} stopped with a checkpoint: run the sweep again to finish");
            return ExitCodes.Interrupted;
        }
        foreach (var (cell, code) in failures.OrderBy(f => f.Cell.Index)) output.WriteLine($"sweep: cell {cell.Index} ({cell.Label}) failed with exit {code}: {cell.Folder}.log");
        output.WriteLine($"sweep: {done} of {cells.Count} cells done in {spec.Out}");
        return failures.IsEmpty ? ExitCodes.Success : ExitCodes.Failed;
    }

    /// <summary>Cell <paramref name="index"/> alone (a Slurm array task): done before, run, or resumed.</summary>
    public static int RunOne(SweepSpec spec, int index, TextWriter output, CancellationToken cancellation)
    {
        var cells = spec.Cells();
        if (index < 0 || index >= cells.Count)
        {
            output.WriteLine($"sweep: no cell {index}; the sweep has cells 0 to {cells.Count - 1}");
            return ExitCodes.Usage;
        }
        var cell = cells[index];
        if (cell.IsDone)
        {
            output.WriteLine($"sweep: cell {index} ({cell.Label}) was done before");
            return ExitCodes.Success;
        }
        Directory.CreateDirectory(spec.Out);
        output.WriteLine($"sweep: cell {index} ({cell.Label}) starts; its log is {cell.Folder}.log");
        int code = RunCell(spec, cell, cancellation);
        output.WriteLine($"sweep: cell {index} ended with exit {code}");
        return code;
    }

    /// <summary>One cell as <c>train</c> runs it: from the base config with its overrides, or resumed.</summary>
    private static int RunCell(SweepSpec spec, SweepCell cell, CancellationToken cancellation)
    {
        bool resume = Directory.Exists(cell.Folder);
        var arguments = resume
            ? new TrainArguments { Resume = cell.Folder }
            : new TrainArguments { Config = spec.Base, Set = [.. spec.Set, .. cell.Overrides], Out = cell.Folder };
        using var log = new StreamWriter(cell.Folder + ".log", append: true) { AutoFlush = true };
        log.WriteLine(resume ? $"# resumed: {cell.Label}" : $"# {cell.Label}");
        return TrainCommand.Run(arguments, log, log, cancellation);
    }

    /// <summary>Seconds as progress lines give them: "40 s", "12 min".</summary>
    internal static string Duration(double seconds) => seconds < 90 ? $"{seconds:F0} s" : $"{seconds / 60:F0} min";
}
