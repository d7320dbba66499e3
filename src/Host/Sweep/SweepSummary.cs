using System.Globalization;
using System.Text;
using NativeMtl.Host.Report;

namespace NativeMtl.Host.Sweep;

/// <summary>
/// <c>nativemtl sweep --summarize DIR</c>: results.md, results.csv and results.html in DIR, from its
/// <see cref="SweepResults"/>: per setup (the cells that differ only in their seed) mean ± std of every metric with its
/// direction, then Δ_MTL, mean rank, step time and peak memory; the page adds bar charts with ± std whiskers of each main
/// task's metric, the step time and the memory per setup.
/// </summary>
internal static class SweepSummary
{
    public static void Write(SweepResults results)
    {
        AtomicText.Write(Path.Combine(results.Folder, "results.md"), Markdown(results));
        AtomicText.Write(Path.Combine(results.Folder, "results.csv"), Csv(results));
        AtomicText.Write(Path.Combine(results.Folder, "results.html"), Html(results));
    }

    /// <summary>A table of rows per setup: its label and seeds, then the cells.</summary>
    private sealed record Table(string Title, IReadOnlyList<string> Columns, IReadOnlyList<(SweepGroup Group, IReadOnlyList<string> Cells)> Rows);

    private static IEnumerable<Table> Tables(SweepResults results)
    {
        var groups = results.Groups;
        foreach (var task in groups.SelectMany(g => g.Metrics.Select(m => m.Task)).Distinct())
        {
            var metrics = groups.SelectMany(g => g.Metrics.Where(m => m.Task == task)).Select(m => (m.Metric, m.HigherIsBetter)).Distinct().ToList();
            yield return new Table($"{task}", metrics.Select(m => $"{m.Metric} {Arrow(m.HigherIsBetter)}").ToList(),
                groups.Where(g => g.Metrics.Any(m => m.Task == task))
                    .Select(g => (g, (IReadOnlyList<string>)metrics.Select(m => g.Metric(task, m.Metric) is { } v ? Text(v.Value) : "").ToList())).ToList());
        }
        yield return new Table("Overall", ["Δ_MTL % ↑", "mean rank ↓", "step ms ↓", "peak MiB ↓"],
            groups.Select(g => (g, (IReadOnlyList<string>)[Number(g.DeltaMtl), Number(g.MeanRank), Text(g.StepMs), Text(g.PeakMiB)])).ToList());
    }

    private static string Markdown(SweepResults results)
    {
        var md = new StringBuilder($"# Sweep {Name(results)}\n\n{Preamble(results)}\n");
        foreach (var table in Tables(results))
        {
            md.Append(CultureInfo.InvariantCulture, $"\n## {table.Title}\n\n| setup | seeds | {string.Join(" | ", table.Columns)} |\n|---|---:|{string.Concat(table.Columns.Select(_ => "---:|"))}\n");
            foreach (var (group, cells) in table.Rows)
                md.Append(CultureInfo.InvariantCulture, $"| {group.Label.Replace("|", "\\|", StringComparison.Ordinal)} | {group.Cells.Count} | {string.Join(" | ", cells)} |\n");
        }
        return md.ToString();
    }

    /// <summary>One row per setup and figure: every metric, then the setup's Δ_MTL, mean rank, step time and memory
    /// under the task "(run)".</summary>
    private static string Csv(SweepResults results)
    {
        var csv = new StringBuilder("setup,setting,seeds,task,metric,direction,mean,std\n");
        void Row(SweepGroup g, string task, string metric, string direction, double mean, double std) =>
            csv.Append(string.Join(",", new[] { g.Label, g.Setting, g.Cells.Count.ToString(CultureInfo.InvariantCulture), task, metric, direction,
                Invariant(mean), Invariant(std) }.Select(Quote))).Append('\n');
        foreach (var g in results.Groups)
        {
            foreach (var m in g.Metrics) Row(g, m.Task, m.Metric, m.HigherIsBetter ? "higher" : "lower", m.Value.Mean, m.Value.Std);
            Row(g, "(run)", "delta_mtl_percent", "higher", g.DeltaMtl ?? double.NaN, double.NaN);
            Row(g, "(run)", "mean_rank", "lower", g.MeanRank ?? double.NaN, double.NaN);
            Row(g, "(run)", "step_ms", "lower", g.StepMs.Mean, g.StepMs.Std);
            Row(g, "(run)", "peak_mib", "lower", g.PeakMiB.Mean, g.PeakMiB.Std);
        }
        return csv.ToString();
    }

    private static string Html(SweepResults results)
    {
        var title = $"nativemtl sweep {Name(results)}";
        var html = new StringBuilder(HtmlReport.Head(title))
            .Append("<h1>").Append(SvgChart.Escape(title)).Append("</h1>\n<p>").Append(SvgChart.Escape(Preamble(results))).Append("</p>\n<div class=\"charts\">");
        foreach (var (task, metric, higherIsBetter) in results.Groups.Select(g => g.MainMetric).OfType<GroupMetric>().Select(m => (m.Task, m.Metric, m.HigherIsBetter)).Distinct())
            html.Append(SvgChart.Bars($"{task} {metric} {Arrow(higherIsBetter)} (mean ± std over seeds)",
                $"{task} {metric}", results.Groups.Where(g => g.MainTask == task && g.Metric(task, metric) is not null)
                    .Select(g => (g.Label, g.Metric(task, metric)!.Value.Mean, g.Metric(task, metric)!.Value.Std)).ToList()));
        html.Append(SvgChart.Bars("step time ↓ (median of each run, mean ± std over seeds)", "ms per step", results.Groups.Select(g => (g.Label, g.StepMs.Mean, g.StepMs.Std)).ToList()))
            .Append(SvgChart.Bars("peak memory ↓ (each run's, mean ± std over seeds)", "MiB", results.Groups.Select(g => (g.Label, g.PeakMiB.Mean, g.PeakMiB.Std)).ToList()))
            .Append("</div>\n");
        foreach (var table in Tables(results))
        {
            html.Append("<h2>").Append(SvgChart.Escape(table.Title)).Append("</h2>\n<table><tr><th>setup</th><th>seeds</th>")
                .Append(string.Concat(table.Columns.Select(c => $"<th>{SvgChart.Escape(c)}</th>"))).Append("</tr>");
            foreach (var (group, cells) in table.Rows)
                html.Append(CultureInfo.InvariantCulture, $"<tr><td>{SvgChart.Escape(group.Label)}</td><td>{group.Cells.Count}</td>")
                    .Append(string.Concat(cells.Select(c => $"<td>{SvgChart.Escape(c)}</td>"))).Append("</tr>");
            html.Append("</table>\n");
        }
        return html.Append("</body></html>\n").ToString();
    }

    private static string Preamble(SweepResults r)
    {
        int finished = r.Groups.Sum(g => g.Cells.Count);
        var text = $"{finished} finished cells in {r.Groups.Count} setups; mean ± sample std over the seeds of each setup; the last validation of each run. " +
            "Δ_MTL (LibMTL's, in %, + is better) is against the single-task setups of the same setting, over every metric but the loss; " +
            "ranks are among the setups of the same setting; step time is each run's median images/s turned into ms per step; " +
            "peak memory is blank for runs that shared their process (sweep --jobs above 1).";
        return r.Unfinished.Count == 0 ? text
            : $"{text} Not finished, left out: {string.Join("; ", r.Unfinished.Select(c => $"cell {c.Index} ({c.Label})"))}.";
    }

    /// <summary>The sweep's out folder's name.</summary>
    private static string Name(SweepResults results) => Path.GetFileName(Path.GetFullPath(results.Folder).TrimEnd('/'));

    private static string Arrow(bool higherIsBetter) => higherIsBetter ? "↑" : "↓";

    private static string Text(Spread s) => s.Count == 0 || !double.IsFinite(s.Mean) ? ""
        : double.IsFinite(s.Std) ? $"{Invariant(s.Mean)} ± {Invariant(s.Std)}" : Invariant(s.Mean);

    private static string Number(double? value) => value is { } v ? v.ToString("F2", CultureInfo.InvariantCulture) : "";

    private static string Invariant(double value) => double.IsFinite(value) ? value.ToString("G4", CultureInfo.InvariantCulture) : "";

    private static string Quote(string field) => field.IndexOfAny([',', '"', '\n']) < 0 ? field : $"\"{field.Replace("\"", "\"\"", StringComparison.Ordinal)}\"";
}
