using System.Globalization;
using System.Text;
using NativeMtl.Host.Training;

namespace NativeMtl.Host.Report;

/// <summary>
/// report.html of a run: a self-contained page (inline CSS and SVG, no script and no external reference, so a
/// browser shows it offline) with what ran (balancer, device, start, time spent, steps planned and done, parameters),
/// the last validation's metrics with the direction each improves in and its unit, the training loss of each task,
/// each task's weight, the learning rate and the images/s over the steps (without each session's first point, which
/// holds its warm-up), each validation metric over the steps, and the resolved config.
/// </summary>
internal static class HtmlReport
{
    public static string Build(string runName, RunHistory history, string configYaml, RunInfo? info = null, string? posePanel = null)
    {
        var html = new StringBuilder(Head($"nativemtl run {runName}"));
        var train = history.Training;
        var lastLog = train.Count > 0 ? train[^1] : null;
        html.Append("<h1>").Append(SvgChart.Escape($"nativemtl run {runName}")).Append("</h1>\n<p>")
            .Append(lastLog is null ? "no training step logged yet" : SvgChart.Escape($"{lastLog.Step} steps logged (epoch {lastLog.Epoch}), {history.Validations.Count} validations"))
            .Append("</p>\n");
        if (info is not null)
        {
            var first = info.Sessions.Count > 0 ? info.Sessions[0] : null;
            int done = info.Sessions.LastOrDefault()?.ToStep ?? info.Sessions.LastOrDefault()?.FromStep ?? 0;
            html.Append("<table class=\"facts\">")
                .Append(Fact("balancer", info.Balancer))
                .Append(Fact("device", string.Join("; ", info.Sessions.Select(x => x.Device).Distinct())))
                .Append(Fact("started", first is null ? "" : first.StartedUtc.ToString("yyyy-MM-dd HH:mm:ss 'UTC'", CultureInfo.InvariantCulture)))
                .Append(Fact("time training", $"{ProgressText.Duration(info.Duration)} in {info.Sessions.Count} session(s)"))
                .Append(Fact("steps", $"{done} done of {info.StepsPlanned} planned"))
                .Append(Fact("parameters", info.Parameters.ToString("N0", CultureInfo.InvariantCulture)))
                .Append("</table>\n");
        }

        if (history.Validations.Count > 0)
        {
            var last = history.Validations[^1];
            html.Append("<h2>").Append(SvgChart.Escape($"Validation after step {last.Step}")).Append("</h2>\n<table><tr><th>task</th><th>metric</th><th>value</th></tr>");
            foreach (var (task, metrics) in last.Result.Tasks)
                foreach (var m in metrics)
                    html.Append(CultureInfo.InvariantCulture, $"<tr><td>{SvgChart.Escape(task)}</td><td>{SvgChart.Escape(m.Caption)}</td><td>{m.Value:G5}</td></tr>");
            html.Append("</table>\n");
        }
        if (posePanel is { Length: > 0 })
            html.Append("<h2>Poses of the first validation samples</h2>\n<p>the object's box under the true pose (green) and under the pose PnP found (red)</p>\n")
                .Append(posePanel).Append('\n');

        var tasks = train.Count > 0 ? train[0].Tasks.Select(t => t.Task).ToList() : [];
        html.Append("<h2>Training</h2>\n<div class=\"charts\">")
            .Append(SvgChart.Line("training loss per task ↓", "step", "loss (mean since the last log)",
                tasks.Select((t, k) => new Series(t, train.Select(r => ((double)r.Step, r.Tasks[k].Loss)).ToList())).ToList()))
            .Append(SvgChart.Line("task weights", "step", "weight",
                tasks.Select((t, k) => new Series(t, train.Select(r => ((double)r.Step, r.Tasks[k].Weight)).ToList())).ToList()))
            .Append(SvgChart.Line("learning rate", "step", "learning rate", [new Series("lr", train.Select(r => ((double)r.Step, r.Lr)).ToList())], 400))
            .Append(SvgChart.Line("images per second ↑", "step", "images/s",
                [new Series("images/s", history.SteadyTraining(info).Select(r => ((double)r.Step, r.ImagesPerSecond)).ToList())], 400))
            .Append("</div>\n");

        html.Append("<h2>Validation</h2>\n<div class=\"charts\">");
        var validations = history.Validations;
        var names = validations.SelectMany(v => v.Result.Tasks.SelectMany(t => t.Metrics.Select(m => (t.Task, m.Name)))).Distinct().ToList();
        if (names.Count == 0) html.Append("<p>no validation yet</p>");
        foreach (var (task, metric) in names)
        {
            var points = validations.SelectMany(v => v.Result.Tasks.Where(t => t.Task == task)
                .SelectMany(t => t.Metrics.Where(m => m.Name == metric).Select(m => ((double)v.Step, m.Value)))).ToList();
            var about = Models.MetricInfo.Of(metric);
            html.Append(SvgChart.Line($"{task} {Models.MetricValue.Of(metric, 0).Caption}", "step", about.Unit.Length > 0 ? $"{metric} ({about.Unit})" : metric,
                [new Series(metric, points)], 360, 240));
        }
        html.Append("</div>\n<h2>Config</h2>\n<pre>").Append(SvgChart.Escape(configYaml)).Append("</pre>\n</body></html>\n");
        return html.ToString();
    }

    /// <summary>Builds the report of a run folder from its metrics.jsonl and config.yaml, atomically.</summary>
    public static void Write(RunFolder folder)
    {
        var history = File.Exists(folder.Metrics) ? MetricsLog.Read(folder.Metrics) : new RunHistory([], []);
        var config = File.Exists(folder.Config) ? File.ReadAllText(folder.Config) : "";
        var panel = File.Exists(folder.PosePanel) ? File.ReadAllText(folder.PosePanel) : null;
        AtomicText.Write(folder.Report, Build(Path.GetFileName(Path.GetFullPath(folder.Path).TrimEnd(Path.DirectorySeparatorChar)), history, config,
            RunInfo.Read(folder.Info), panel));
    }

    /// <summary>A page's start up to its body: the title and the style every page of ours shares (charts, tables).</summary>
    public static string Head(string title) => new StringBuilder("<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>")
        .Append(SvgChart.Escape(title)).Append("</title><style>")
        .Append("body{font-family:sans-serif;margin:24px;color:#222;background:#fff}h1{font-size:20px}h2{font-size:16px;margin-top:28px}")
        .Append(".charts{display:flex;flex-wrap:wrap;gap:12px}.chart{border:1px solid #ddd;background:#fff}")
        .Append(".title{font-size:13px;font-weight:bold}.tick,.legend{font-size:11px}.axis{font-size:12px}.empty{font-size:13px;fill:#888}")
        .Append(".grid{stroke:#eee}.frame{fill:none;stroke:#999}table{border-collapse:collapse}td,th{border:1px solid #ccc;padding:3px 10px;text-align:right}")
        .Append("th{background:#f4f4f4}td:first-child,td:nth-child(2){text-align:left}pre{background:#f7f7f7;padding:10px;font-size:12px}")
        .Append(".facts th{text-align:left}.facts td{text-align:left}")
        .Append("</style></head><body>\n").ToString();

    private static string Fact(string name, string value) => $"<tr><th>{SvgChart.Escape(name)}</th><td>{SvgChart.Escape(value)}</td></tr>";
}
