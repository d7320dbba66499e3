using Spectre.Console;

namespace NativeMtl.Host;

/// <summary>A Spectre console on a command's output writer: with the terminal's capabilities on the real console,
/// plain text of a fixed width on any other writer (a test's StringWriter, a redirected file).</summary>
internal static class HostConsole
{
    public static IAnsiConsole Create(TextWriter output, int width)
    {
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = IsTerminal(output) ? AnsiSupport.Detect : AnsiSupport.No,
            Interactive = IsTerminal(output) ? InteractionSupport.Detect : InteractionSupport.No,
        });
        if (!ReferenceEquals(output, Console.Out)) console.Profile.Width = width;
        return console;
    }

    /// <summary>Whether the writer is the process's console on a terminal, where live progress can redraw.</summary>
    public static bool IsTerminal(TextWriter output) => ReferenceEquals(output, Console.Out) && !Console.IsOutputRedirected;
}
