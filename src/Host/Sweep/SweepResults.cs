using NativeMtl.Host.Config;
using NativeMtl.Host.Training;
using NativeMtl.Models;

namespace NativeMtl.Host.Sweep;

/// <summary>The mean and sample standard deviation of <see cref="Count"/> values (the deviation NaN below two).</summary>
internal readonly record struct Spread(double Mean, double Std, int Count)
{
    public static Spread Of(IReadOnlyList<double> values)
    {
        if (values.Count == 0) return new(double.NaN, double.NaN, 0);
        double mean = values.Average();
        double std = values.Count > 1 ? Math.Sqrt(values.Sum(v => (v - mean) * (v - mean)) / (values.Count - 1)) : double.NaN;
        return new(mean, std, values.Count);
    }
}

/// <summary>A finished cell: its tasks (name, role), the final validation's metrics, the median steady step time and
/// the run's peak memory (null where unknown).</summary>
internal sealed record CellResult(SweepCell Cell, IReadOnlyList<TaskEntry> Tasks, IReadOnlyList<(string Task, IReadOnlyList<MetricValue> Metrics)> Metrics,
    double? StepMs, long? PeakBytes);

/// <summary>One metric of one task over a group's seeds.</summary>
internal sealed record GroupMetric(string Task, string Metric, bool HigherIsBetter, Spread Value)
{
    /// <summary>Validation losses are objectives, not measures of quality: they are shown, but Δ_MTL and ranks leave them out.</summary>
    public bool IsQuality => Metric != "loss";
}

/// <summary>
/// The cells that differ only in their seed: the figures over seeds, Δ_MTL in % against the single-task groups of the
/// same setting (positive is better; null without such a group), and the mean rank among the groups of the same setting.
/// </summary>
internal sealed record SweepGroup(string Label, string Setting, IReadOnlyList<CellResult> Cells, IReadOnlyList<GroupMetric> Metrics)
{
    public IReadOnlyList<TaskEntry> Tasks => Cells[0].Tasks;

    public string MainTask => Tasks.First(t => t.Role == TaskRoleName.Main).Name;

    public bool IsSingleTask => Tasks.Count == 1;

    public Spread StepMs => Spread.Of(Cells.Select(c => c.StepMs).OfType<double>().ToList());

    public Spread PeakMiB => Spread.Of(Cells.Select(c => c.PeakBytes).OfType<long>().Select(b => b / 1048576.0).ToList());

    public double? DeltaMtl { get; init; }

    public double? MeanRank { get; init; }

    public GroupMetric? Metric(string task, string metric) => Metrics.FirstOrDefault(m => m.Task == task && m.Metric == metric);

    /// <summary>The main task's first quality metric (mIoU for segmentation, abs_err for depth, ADD(-S) for pose).</summary>
    public GroupMetric? MainMetric => Metrics.FirstOrDefault(m => m.Task == MainTask && m.IsQuality);
}

/// <summary>
/// A sweep's out folder read for <c>--summarize</c>: the cells of its sweep.json grouped by everything but their seed
/// (in the sweep's order), and the cells without final_metrics.json (unfinished or failed), which are left out.
/// </summary>
internal sealed record SweepResults(string Folder, IReadOnlyList<SweepGroup> Groups, IReadOnlyList<SweepCell> Unfinished)
{
    public static SweepResults Read(string folder)
    {
        var cells = SweepManifest.Read(folder);
        var finished = cells.Where(c => c.IsDone).ToList();
        var groups = finished.Select(ReadCell).GroupBy(c => Key(c.Cell.Overrides, IsSeed))
            .Select(g => Group(g.Key, g.ToList())).ToList();
        return new SweepResults(folder, Ranked(WithDeltaMtl(groups)), cells.Except(finished).ToList());
    }

    /// <summary>The overrides but those <paramref name="leftOut"/> keeps out, as a label.</summary>
    private static string Key(IEnumerable<string> overrides, Func<string, bool> leftOut) => string.Join(", ", overrides.Where(o => !leftOut(o)));

    private static bool IsSeed(string o) => o.StartsWith("seed=", StringComparison.Ordinal);

    /// <summary>What a baseline must share with a group: the overrides that are neither the seed nor the method, such as
    /// the data size. The method is the tasks, the balancer and the training strategies that leave the trained network
    /// as it is (seed 001's auxiliary modules and deep supervision, which run in training only, and its Prior, a
    /// starting point), so a single-task run without them is their baseline.</summary>
    private static bool IsSeedOrMethod(string o) => IsSeed(o) ||
        new[] { "tasks=", "balancer.", "model.auxiliary_modules", "model.deep_supervision", "model.init_from" }.Any(m => o.StartsWith(m, StringComparison.Ordinal));

    private static CellResult ReadCell(SweepCell cell)
    {
        var folder = new RunFolder(cell.Folder);
        TrainConfig config;
        try
        {
            config = ConfigReader.Read(folder.Config, []);
        }
        catch (ConfigException e)
        {
            throw new RunInputException($"{folder.Config}: {e.Message}");
        }
        var history = MetricsLog.Read(folder.Metrics);
        var final = history.Validations.LastOrDefault() ?? throw new RunInputException($"{folder.Metrics}: no validation, though final_metrics.json exists");
        var info = RunInfo.Read(folder.Info);
        var rates = history.SteadyTraining(info).Select(r => r.ImagesPerSecond).Where(r => r > 0).Order().ToList();
        double? stepMs = rates.Count == 0 ? null : config.Training.BatchSize * 1000 / rates[rates.Count / 2];
        return new CellResult(cell, config.Tasks, final.Result.Tasks, stepMs, info?.PeakBytes);
    }

    private static SweepGroup Group(string label, IReadOnlyList<CellResult> cells)
    {
        var metrics = cells[0].Metrics.SelectMany(t => t.Metrics.Select(m => (t.Task, m.Name, m.HigherIsBetter)))
            .Select(m => new GroupMetric(m.Task, m.Name, m.HigherIsBetter, Spread.Of(cells
                .SelectMany(c => c.Metrics.Where(t => t.Task == m.Task).SelectMany(t => t.Metrics.Where(v => v.Name == m.Name)))
                .Select(v => v.Value).Where(double.IsFinite).ToList())))
            .ToList();
        return new SweepGroup(label == "" ? "(every cell)" : label, Key(cells[0].Cell.Overrides, IsSeedOrMethod), cells, metrics);
    }

    /// <summary>
    /// LibMTL's Δ_MTL: for every task of the group with a single-task group of the same setting, the mean over its
    /// quality metrics of ±(M − M_single)/M_single (+ where higher is better), then the mean over those tasks, in %.
    /// </summary>
    private static List<SweepGroup> WithDeltaMtl(List<SweepGroup> groups) => groups.Select(g =>
    {
        if (g.IsSingleTask) return g;
        var perTask = g.Tasks.Select(t => groups.FirstOrDefault(b => b.IsSingleTask && b.Setting == g.Setting && b.Tasks[0].Name == t.Name))
            .OfType<SweepGroup>()
            .Select(single => single.Metrics.Where(m => m.IsQuality && m.Value.Mean != 0 && g.Metric(m.Task, m.Metric) is not null)
                .Select(m => (m.HigherIsBetter ? 1 : -1) * (g.Metric(m.Task, m.Metric)!.Value.Mean - m.Value.Mean) / m.Value.Mean)
                .Where(double.IsFinite).ToList())
            .Where(d => d.Count > 0).Select(d => d.Average()).ToList();
        return perTask.Count == 0 ? g : g with { DeltaMtl = 100 * perTask.Average() };
    }).ToList();

    /// <summary>For every quality metric that two or more groups of a setting report, each group's rank among them by
    /// mean (1 the best, ties sharing the mean of their places); a group's mean rank is over the metrics it was ranked in.</summary>
    private static List<SweepGroup> Ranked(List<SweepGroup> groups)
    {
        var ranks = groups.ToDictionary(g => g, _ => new List<double>());
        foreach (var setting in groups.GroupBy(g => g.Setting))
        {
            var metrics = setting.SelectMany(g => g.Metrics.Where(m => m.IsQuality && double.IsFinite(m.Value.Mean)).Select(m => (m.Task, m.Metric, m.HigherIsBetter))).Distinct();
            foreach (var (task, metric, higher) in metrics)
            {
                var values = setting.Select(g => (Group: g, Value: g.Metric(task, metric)?.Value.Mean ?? double.NaN)).Where(v => double.IsFinite(v.Value))
                    .Select(v => (v.Group, Score: higher ? -v.Value : v.Value)).ToList();
                if (values.Count < 2) continue;
                foreach (var (group, score) in values)
                    ranks[group].Add(values.Count(v => v.Score < score) + (values.Count(v => v.Score == score) + 1) / 2.0);
            }
        }
        return groups.Select(g => ranks[g].Count == 0 ? g : g with { MeanRank = ranks[g].Average() }).ToList();
    }
}
