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
        root.Subcommands.Add(DataCommand.Create(output, error));
        root.Subcommands.Add(CheckCommand.Create(output, error));
        root.Subcommands.Add(BenchCommand.Create(output, error));
        root.Subcommands.Add(SweepCommand.Create(output, error));
        root.Subcommands.Add(SearchCommand.Create(output, error));
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

    /// <summary>Parses and runs; invalid arguments give one line (with a "did you mean" for a misspelt command or
    /// option) and <see cref="ExitCodes.Usage"/>.</summary>
    public static int Run(string[] args, TextWriter output, TextWriter error)
    {
        var parsed = Create(output, error).Parse(args);
        if (parsed.Errors.Count > 0)
        {
            error.WriteLine(DescribeError(parsed));
            return ExitCodes.Usage;
        }
        return parsed.Invoke(new InvocationConfiguration { Output = output, Error = error, ProcessTerminationTimeout = null });
    }

    /// <summary>The first parse error as one line: "nativemtl COMMAND: problem", with the nearest known name for a token
    /// that matched nothing, and where the help is.</summary>
    private static string DescribeError(ParseResult parsed)
    {
        var command = parsed.CommandResult.Command;
        string path = string.Join(" ", parsed.CommandResult.Command.Parents.OfType<Command>().Reverse().Skip(1).Select(c => c.Name).Append(command.Name)
            .Where(n => n.Length > 0 && n != parsed.RootCommandResult.Command.Name));
        string who = path.Length == 0 ? "nativemtl" : $"nativemtl {path}";
        string help = path.Length == 0 ? "nativemtl --help" : $"nativemtl {path} --help";
        if (parsed.UnmatchedTokens.Count > 0)
        {
            var token = parsed.UnmatchedTokens[0];
            var known = token.StartsWith('-')
                ? command.Options.Where(o => !o.Hidden).SelectMany(o => o.Aliases.Prepend(o.Name))
                : command.Subcommands.Where(c => !c.Hidden).Select(c => c.Name);
            var nearest = known.Select(name => (Name: name, Distance: EditDistance(token, name))).OrderBy(n => n.Distance).FirstOrDefault();
            string kind = token.StartsWith('-') ? "option" : command.Subcommands.Count > 0 ? "command" : "argument";
            string guess = nearest.Name is not null && nearest.Distance <= Math.Max(2, token.Length / 3) ? $"; did you mean {nearest.Name}?" : "";
            return $"{who}: unknown {kind} '{token}'{guess} (see {help})";
        }
        return $"{who}: {parsed.Errors[0].Message.TrimEnd('.')} (see {help})";
    }

    /// <summary>Levenshtein distance: edits that turn one word into the other.</summary>
    private static int EditDistance(string a, string b)
    {
        var row = Enumerable.Range(0, b.Length + 1).ToArray();
        for (int i = 1; i <= a.Length; i++)
        {
            int diagonal = row[0];
            row[0] = i;
            for (int j = 1; j <= b.Length; j++)
            {
                int above = row[j];
                row[j] = Math.Min(Math.Min(row[j] + 1, row[j - 1] + 1), diagonal + (a[i - 1] == b[j - 1] ? 0 : 1));
                diagonal = above;
            }
        }
        return row[b.Length];
    }

    /// <summary>A whole-number option whose bad value reads as such ("--steps: expected a whole number…"), not as a
    /// type name.</summary>
    internal static Option<int?> WholeNumber(string name, string description, string helpName) => new(name)
    {
        Description = description,
        HelpName = helpName,
        CustomParser = result =>
        {
            var text = result.Tokens.Count == 1 ? result.Tokens[0].Value : "";
            if (int.TryParse(text, System.Globalization.NumberStyles.AllowLeadingSign, System.Globalization.CultureInfo.InvariantCulture, out var value)) return value;
            result.AddError($"{name}: expected a whole number up to {int.MaxValue}, got '{text}'");
            return null;
        },
    };
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

    /// <summary>A defect of nativemtl itself, not of its input (sysexits' EX_SOFTWARE); the one line asks for a report.</summary>
    public const int Internal = 70;

    /// <summary>Stopped by Ctrl-C or SIGTERM (128 + SIGINT, as shells report it) after saving a checkpoint to resume from.</summary>
    public const int Interrupted = 130;
}
