using System.Text.Json;
using System.Text.RegularExpressions;
using NativeMtl.Host.Report;
using NativeMtl.Host.Training;
using NativeMtl.Models;
using static NativeMtl.Tests.HostLayer.TrainTestKit;

namespace NativeMtl.Tests.HostLayer;

public class ReportAndEvalTests
{
    private static RunHistory History() => new(
        [
            new TrainRecord(10, 0, 0.05, [("seg", 2.0, 1.0), ("depth", 0.9, 1.0)], 40),
            new TrainRecord(20, 0, 0.04, [("seg", 1.5, 1.0), ("depth", 0.7, 1.2)], 42),
            new TrainRecord(30, 0, 0.03, [("seg", 1.2, 1.0), ("depth", 0.6, 1.1)], 43),
        ],
        [new ValidationRecord(20, 0, new ValidationMetrics([("seg", [new MetricValue("miou", 0.25, true)]), ("depth", [new MetricValue("abs_err", 0.5, false)])]))]);

    [Fact]
    public void TheReportHoldsAnSvgPlotOfLossesWeightsLearningRateThroughputAndEachValidationMetric()
    {
        var html = HtmlReport.Build("run-1", History(), "seed: 0\n");
        Assert.Equal(6, Regex.Count(html, "<svg "));
        foreach (var title in new[] { "training loss per task ↓", "task weights", "learning rate", "images per second ↑", "seg miou ↑ (mean IoU)", "depth abs_err ↓ (mean |depth error|, m)" })
            Assert.Contains($"aria-label=\"{title}\"", html);
        Assert.Equal(6, Regex.Count(html, "<polyline "));
        Assert.Contains("<pre>seed: 0\n</pre>", html);
    }

    [Fact]
    public void EveryChartNamesWhatItsYAxisShowsWithItsUnit()
    {
        var html = HtmlReport.Build("run-1", History(), "seed: 0\n");
        foreach (var label in new[] { "loss (mean since the last log)", "weight", "images/s", "abs_err (m)", "miou" })
            Assert.Matches($"<text [^>]*rotate\\(-90[^>]*>{Regex.Escape(label)}</text>", html);
    }

    [Fact]
    public void TheReportSaysWhatRanWhereWhenForHowLongAndHowFar()
    {
        var started = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        var info = new RunInfo(286_689, 50, "auxilight",
            [new RunSession(started, started.AddSeconds(90), 0, 20, "cpu"), new RunSession(started.AddHours(1), started.AddHours(1).AddSeconds(30), 20, 30, "cpu")]);
        var html = HtmlReport.Build("run-1", History(), "seed: 0\n", info);
        foreach (var fact in new[] { "<th>balancer</th><td>auxilight</td>", "<th>device</th><td>cpu</td>", "<th>started</th><td>2026-01-02 03:04:05 UTC</td>",
            "<th>time training</th><td>2m00s in 2 session(s)</td>", "<th>steps</th><td>30 done of 50 planned</td>", "<th>parameters</th><td>286,689</td>" })
            Assert.Contains(fact, html);
    }

    [Fact]
    public void TheImagesPerSecondOfEachSessionsFirstLogAreLeftOutAsWarmUp()
    {
        var started = new DateTime(2026, 1, 2, 3, 4, 5, DateTimeKind.Utc);
        var history = new RunHistory(new[] { 10, 20, 30, 40 }.Select(step => new TrainRecord(step, 1, 0.05, [("seg", 1.0, 1.0)], 1000 + step)).ToList(), []);
        var info = new RunInfo(1, 40, "equal", [new RunSession(started, started, 0, 20, "cpu"), new RunSession(started, started, 20, 40, "cpu")]);
        var chart = Regex.Match(HtmlReport.Build("run-1", history, "", info), "aria-label=\"images per second ↑\".*?</svg>").Value;
        var polyline = Regex.Match(chart, "<polyline [^>]*points=\"([^\"]*)\"").Groups[1].Value;
        Assert.Equal(2, polyline.Split(' ', StringSplitOptions.RemoveEmptyEntries).Length);
    }

    [Fact]
    public void PointsLoggedOutOfOrderAreDrawnInStepOrder()
    {
        var ordered = SvgChart.Line("t", "step", "y", [new Series("a", [(1, 5), (2, 3), (3, 4)])]);
        var shuffled = SvgChart.Line("t", "step", "y", [new Series("a", [(3, 4), (1, 5), (2, 3)])]);
        Assert.Equal(ordered, shuffled);
    }

    [Fact]
    public void TheReportNeedsNoNetworkNoScriptAndNoFontFile()
    {
        var html = HtmlReport.Build("run-1", History(), "out: http://example/\n");
        var withoutConfig = html.Replace("http://example/", "");
        foreach (var external in new[] { "http", "src=", "href", "<script", "<link", "@import", "url(", "@font-face" })
            Assert.DoesNotContain(external, withoutConfig, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public void TextInTheReportIsEscaped()
    {
        var html = HtmlReport.Build("<run>", History(), "name: <b>\n");
        Assert.Contains("&lt;run&gt;", html);
        Assert.Contains("name: &lt;b&gt;", html);
        Assert.DoesNotContain("<b>", html);
    }

    [Fact]
    public void AReportOfARunWithoutValidationsSaysSoInsteadOfPlotting()
    {
        var html = HtmlReport.Build("run-1", new RunHistory([], []), "");
        Assert.Contains("no validation yet", html);
        Assert.Contains("no data yet", html);
    }

    [Fact]
    public void MetricsLinesReadBackAsTheyWereWrittenAndATornLastLineIsSkipped()
    {
        using var temp = new TempFolder();
        var path = temp["metrics.jsonl"];
        using (var log = new MetricsLog(path))
        {
            foreach (var r in History().Training) log.Append(r);
            log.Append(History().Validations[0]);
        }
        File.AppendAllText(path, "{\"type\":\"train\",\"st");
        var history = MetricsLog.Read(path);
        Assert.Equal([10, 20, 30], history.Training.Select(t => t.Step));
        Assert.Equal([("seg", 1.5, 1.0), ("depth", 0.7, 1.2)], history.Training[1].Tasks);
        Assert.Equal(0.25, history.Validations.Single().Result["seg", "miou"]);
    }

    [Fact]
    public void AnInfiniteOrNaNMetricIsWrittenAsNullNeverAsAStringAndReadBackAsNaN()
    {
        using var temp = new TempFolder();
        var path = temp["metrics.jsonl"];
        using (var log = new MetricsLog(path))
            log.Append(new ValidationRecord(5, 0, new ValidationMetrics([("depth", [new MetricValue("abs_err", double.PositiveInfinity, false), new MetricValue("rmse", double.NaN, false)])])));
        Assert.Contains("\"abs_err\":null,\"rmse\":null", File.ReadAllText(path));
        var read = MetricsLog.Read(path).Validations.Single().Result;
        Assert.True(double.IsNaN(read["depth", "abs_err"]));
        Assert.True(double.IsNaN(read["depth", "rmse"]));
    }

    [Fact]
    public void TruncatingTheMetricsKeepsTheLinesUpToAStep()
    {
        using var temp = new TempFolder();
        var path = temp["metrics.jsonl"];
        using (var log = new MetricsLog(path))
            foreach (var r in History().Training) log.Append(r);
        MetricsLog.Truncate(path, 15);
        Assert.Equal([10], MetricsLog.Read(path).Training.Select(t => t.Step));
    }

    [Fact]
    public void TheReportCommandRebuildsTheReportOfARun()
    {
        using var temp = new TempFolder();
        Assert.Equal(0, Run("train", "--config", temp.Write("tiny.yaml", TinyConfig), "--out", temp["run"]).Code);
        var report = Path.Combine(temp["run"], "report.html");
        File.Delete(report);
        var (code, output, _) = Run("report", temp["run"]);
        Assert.Equal(0, code);
        Assert.Equal($"wrote {report}", output.Trim());
        Assert.True(Regex.Count(File.ReadAllText(report), "<svg ") >= 4);
    }

    [Fact]
    public void EvalOfARunGivesTheMetricsOfItsFinalValidation()
    {
        using var temp = new TempFolder();
        Assert.Equal(0, Run("train", "--config", temp.Write("tiny.yaml", TinyConfig), "--out", temp["run"]).Code);
        var (code, output, _) = Run("eval", "--run", temp["run"], "--json", temp["eval.json"]);
        Assert.Equal(0, code);
        Assert.Contains("miou", output);
        using var evaluated = JsonDocument.Parse(File.ReadAllText(temp["eval.json"]));
        using var final = JsonDocument.Parse(File.ReadAllText(Path.Combine(temp["run"], "final_metrics.json")));
        Assert.Equal(final.RootElement.GetProperty("metrics").ToString(), evaluated.RootElement.GetProperty("metrics").ToString());
    }

    [Fact]
    public void EvalOfTheExportedWeightsWithoutAuxiliaryModulesReadsTheConfigTheyCarry()
    {
        using var temp = new TempFolder();
        Assert.Equal(0, Run("train", "--config", temp.Write("tiny.yaml", TinyConfig), "--set", "model.auxiliary_modules={channels: 8}", "--out", temp["run"]).Code);
        var (code, output, error) = Run("eval", "--checkpoint", Path.Combine(temp["run"], "model.safetensors"), "--json", temp["eval.json"]);
        Assert.True(code == 0, error);
        Assert.Contains("model.safetensors: validation on 4 samples", output);
    }

    [Fact]
    public void EvalOfTheExportedWeightsWithoutDeepSupervisionHeadsReadsTheConfigTheyCarry()
    {
        using var temp = new TempFolder();
        Assert.Equal(0, Run("train", "--config", temp.Write("tiny.yaml", TinyConfig), "--set", "model.deep_supervision={tasks: [seg]}", "--steps", "2", "--out", temp["run"]).Code);
        var (code, output, error) = Run("eval", "--checkpoint", Path.Combine(temp["run"], "model.safetensors"), "--json", temp["eval.json"]);
        Assert.True(code == 0, error);
        Assert.Contains("model.safetensors: validation on 4 samples", output);
    }
}
