using System.Globalization;
using System.Diagnostics;
using Spectre.Console;

namespace NativeMtl.Host.Training;

/// <summary>Short texts of the training state shared by the live and the plain display.</summary>
internal static class ProgressText
{
    public static string Losses(IReadOnlyList<string> tasks, IReadOnlyList<double> losses) =>
        string.Join(" ", tasks.Select((t, k) => $"{t} {losses[k].ToString("F3", CultureInfo.InvariantCulture)}"));

    public static string Weights(IReadOnlyList<(string Task, double Loss, double Weight)> tasks) =>
        string.Join(" ", tasks.Select(t => $"{t.Task} {t.Weight.ToString("F3", CultureInfo.InvariantCulture)}"));

    /// <summary>The first two metrics of each task (its headline ones: mIoU and pixel accuracy, abs and rel error, mean and median angle).</summary>
    public static string Validation(ValidationRecord r) =>
        $"validation after step {r.Step}: " + string.Join(" | ", r.Result.Tasks.Select(t =>
            $"{t.Task} " + string.Join(" ", t.Metrics.Take(2).Select(m => $"{m.Name} {m.Value.ToString("G4", CultureInfo.InvariantCulture)}"))));

    /// <summary>The live display's words after its bar, percentage and time left: step, epoch (from 1), the summed loss and images/s.</summary>
    public static string LiveRow(int step, long totalSteps, int epoch, double loss, double imagesPerSecond) =>
        string.Create(CultureInfo.InvariantCulture, $"step {step}/{totalSteps} · epoch {epoch} · loss {loss:F3} · {imagesPerSecond:F1} img/s");

    public static string Duration(TimeSpan t) => t.TotalHours >= 1 ? $"{(int)t.TotalHours}h{t.Minutes:D2}m" : t.TotalMinutes >= 1 ? $"{(int)t.TotalMinutes}m{t.Seconds:D2}s" : $"{t.Seconds}s";
}

/// <summary>A live progress bar on a terminal, one row that fits 100 columns: the bar, %, time left, then step, epoch,
/// the summed task loss and images/s. Above it, at each validation, the last logged losses and weights per task and
/// the headline metrics.</summary>
internal sealed class LiveProgress(IAnsiConsole console, ProgressContext context, int stepsPerEpoch) : ITrainingProgress
{
    /// <summary>The columns before the description: a bar of <see cref="BarWidth"/>, "100%", "00:00:00", a space after each.</summary>
    public const int BarWidth = 20, ColumnsBeforeRow = BarWidth + 1 + 4 + 1 + 8 + 1;

    /// <summary>The columns of the live display, in <see cref="ColumnsBeforeRow"/> then the row.</summary>
    public static ProgressColumn[] Columns() =>
        [new ProgressBarColumn { Width = BarWidth }, new PercentageColumn(), new RemainingTimeColumn(), new TaskDescriptionColumn { Alignment = Justify.Left }];

    private ProgressTask? _task;
    private TrainRecord? _logged;

    public void Started(int step, int totalSteps, IReadOnlyList<string> tasks)
    {
        _task = context.AddTask("starting", maxValue: totalSteps);
        _task.Value = step;
    }

    public void Stepped(int step, IReadOnlyList<double> losses, double imagesPerSecond)
    {
        _task!.Value = step;
        _task.Description = Markup.Escape(ProgressText.LiveRow(step, (long)_task.MaxValue, (step - 1) / stepsPerEpoch + 1, losses.Sum(), imagesPerSecond));
    }

    public void Logged(TrainRecord record) => _logged = record;

    public void Validating(int step) => _task!.Description = Markup.Escape($"step {step}/{_task.MaxValue} · validating");

    public void Validated(ValidationRecord record)
    {
        if (_logged is { } r)
            console.MarkupLine(Markup.Escape($"step {r.Step}: loss {ProgressText.Losses(r.Tasks.Select(t => t.Task).ToList(), r.Tasks.Select(t => t.Loss).ToList())} | weight {ProgressText.Weights(r.Tasks)}"));
        console.MarkupLine(Markup.Escape(ProgressText.Validation(record)));
    }
}

/// <summary>Plain lines for a log file or a test: one per logged step (with the time left) and one per validation.</summary>
internal sealed class LineProgress(TextWriter output) : ITrainingProgress
{
    private readonly Stopwatch _clock = new();
    private int _first, _total;

    public void Started(int step, int totalSteps, IReadOnlyList<string> tasks)
    {
        (_first, _total) = (step, totalSteps);
        _clock.Restart();
        output.WriteLine($"training steps {step + 1} to {totalSteps}");
    }

    public void Stepped(int step, IReadOnlyList<double> losses, double imagesPerSecond)
    {
    }

    public void Logged(TrainRecord r)
    {
        var left = TimeSpan.FromSeconds(_clock.Elapsed.TotalSeconds / Math.Max(1, r.Step - _first) * (_total - r.Step));
        output.WriteLine(string.Create(CultureInfo.InvariantCulture,
            $"step {r.Step}/{_total} epoch {r.Epoch} lr {r.Lr:G4} | loss {ProgressText.Losses(r.Tasks.Select(t => t.Task).ToList(), r.Tasks.Select(t => t.Loss).ToList())} | weight {ProgressText.Weights(r.Tasks)} | {r.ImagesPerSecond:F1} img/s | ETA {ProgressText.Duration(left)}"));
    }

    public void Validating(int step)
    {
    }

    public void Validated(ValidationRecord record) => output.WriteLine(ProgressText.Validation(record));
}
