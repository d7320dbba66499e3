using System.CommandLine;
using System.CommandLine.Help;
using System.CommandLine.Invocation;
using NativeMtl.Host.Commands;

namespace NativeMtl.Host;

/// <summary>
/// The <c>nativemtl</c> command line: one subcommand per file under Commands/, each a static class with a
/// <c>Create(TextWriter output, TextWriter error)</c> that builds its <see cref="Command"/>. Output goes to the
/// writers given (the console, or a test's StringWriter).
/// </summary>
public static class Cli
{
    public static RootCommand Create(TextWriter output, TextWriter error)
    {
        var root = new RootCommand("nativemtl: multi-task learning on a C# CUDA engine");
        var train = TrainCommand.Create(output, error);
        var eval = EvalCommand.Create(output, error);
        var report = ReportCommand.Create(output, error);
        root.Subcommands.Add(train);
        root.Subcommands.Add(eval);
        root.Subcommands.Add(report);
        root.Subcommands.Add(CheckCommand.Create(output, error));
        root.Subcommands.Add(BenchCommand.Create(output, error));
        var help = root.Options.OfType<HelpOption>().Single();
        help.Action = new HelpWithDetails((HelpAction)help.Action!,
            new Dictionary<Command, string> { [train] = TrainCommand.Details, [eval] = EvalCommand.Details, [report] = ReportCommand.Details });
        return root;
    }

    /// <summary>The usual help, then a command's longer explanation and examples: only in that command's own help,
    /// so the list of commands stays one line each.</summary>
    private sealed class HelpWithDetails(HelpAction help, IReadOnlyDictionary<Command, string> details) : SynchronousCommandLineAction
    {
        public override bool ClearsParseErrors => true;

        public override int Invoke(ParseResult parseResult)
        {
            int code = help.Invoke(parseResult);
            if (details.TryGetValue(parseResult.CommandResult.Command, out var text))
                parseResult.InvocationConfiguration.Output.WriteLine(text.TrimEnd() + Environment.NewLine);
            return code;
        }
    }

    /// <summary>Parses and runs; invalid arguments give <see cref="ExitCodes.Usage"/>.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var parsed = Create(output, error).Parse(args);
        int code = parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null });
        return parsed.Errors.Count > 0 ? ExitCodes.Usage : code;
    }
}

/// <summary>Exit codes shared by every command.</summary>
public static class ExitCodes
{
    public const int Success = 0;

    /// <summary>The command ran and found a problem (a failed check).</summary>
    public const int Failed = 1;

    /// <summary>Invalid arguments.</summary>
    public const int Usage = 2;

    /// <summary>The requested GPU cannot be used: no CUDA library, no device, or a driver error.</summary>
    public const int NoDevice = 3;

    /// <summary>Input that cannot be used: a dataset, a checkpoint or a run folder that is missing, corrupt or does
    /// not fit the config.</summary>
    public const int InvalidInput = 4;

    /// <summary>Stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it) after saving a checkpoint to resume from.</summary>
    public const int Interrupted = 130;
}
