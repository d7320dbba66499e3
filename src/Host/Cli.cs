using System.CommandLine;
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
        root.Subcommands.Add(TrainCommand.Create(output, error));
        root.Subcommands.Add(EvalCommand.Create(output, error));
        root.Subcommands.Add(ReportCommand.Create(output, error));
        root.Subcommands.Add(CheckCommand.Create(output, error));
        root.Subcommands.Add(BenchCommand.Create(output, error));
        return root;
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
