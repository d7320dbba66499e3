using System.CommandLine;
using NativeMtl.Host.Report;
using NativeMtl.Host.Training;

namespace NativeMtl.Host.Commands;

/// <summary><c>nativemtl report RUN_DIR</c>: (re)builds a run's report.html from its metrics.jsonl, also while the
/// run is still training.</summary>
public static class ReportCommand
{
    private const string Summary = "(re)build RUN_DIR/report.html from RUN_DIR/metrics.jsonl";

    /// <summary>What --help adds after the options: the longer explanation and examples.</summary>
    internal const string Details = """
        The report shows the training loss per task, the task weights, the learning rate and the throughput over
        the steps, every validation metric over the steps, the last validation's table and the config. The page is
        self-contained (inline SVG, no script, no network) and opens in any browser, also while the run trains.

        Examples:
          nativemtl report runs/20260101-120000-auxilight
        """;

    public static Command Create(TextWriter output, TextWriter error)
    {
        var run = new Argument<string>("RUN_DIR") { Description = "a run folder of nativemtl train" };
        var command = new Command("report", Summary);
        command.Arguments.Add(run);
        command.SetAction(parsed => Run(parsed.GetValue(run)!, output, error));
        return command;
    }

    internal static int Run(string run, TextWriter output, TextWriter error)
    {
        var folder = new RunFolder(run);
        try
        {
            if (!File.Exists(folder.Metrics)) throw new RunInputException($"{run}: not a run folder with metrics (it has no metrics.jsonl)");
            HtmlReport.Write(folder);
        }
        catch (Exception e) when (e is RunInputException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"nativemtl report: {e.Message.ReplaceLineEndings(" ")}");
            return ExitCodes.InvalidInput;
        }
        catch (Exception e)
        {
            error.WriteLine($"nativemtl report: internal error: {e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")} (please report it)");
            return ExitCodes.Internal;
        }
        output.WriteLine($"wrote {folder.Report}");
        return ExitCodes.Success;
    }
}
