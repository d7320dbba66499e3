using System.CommandLine;
using NativeMtl.Host.Config;
using NativeMtl.Host.Search;
using NativeMtl.Host.Training;

namespace NativeMtl.Host.Commands;

/// <summary>
/// <c>nativemtl search --config search.yaml</c>: seed 001's search of auxiliary modules (<see cref="ArchitectureSearch"/>,
/// the file's fields in <see cref="SearchSpec"/>). Run again after Ctrl-C or a crash, it continues where it stopped.
/// </summary>
public static class SearchCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var config = new Option<FileInfo>("--config") { Description = "the search file: base, set, out, tasks, cells, children, batch, child_steps, seed, controller", Required = true };
        var command = new Command("search", "search auxiliary modules (seed 001): an LSTM controller trained with PPO on short child runs; writes the best architecture as a train config");
        command.Options.Add(config);
        command.SetAction(parsed =>
        {
            using var stop = new CancellationTokenSource();
            using var signals = new StopSignals(stop, error, "nativemtl search: stopping after the current child's step, with a checkpoint (Ctrl-C again to quit at once)");
            return Run(parsed.GetValue(config)!.FullName, output, error, stop.Token);
        });
        return command;
    }

    internal static int Run(string file, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        try
        {
            return new ArchitectureSearch(SearchSpec.Read(file)).Run(output, cancellation);
        }
        catch (ConfigException e)
        {
            error.WriteLine($"nativemtl search: {e.Message}");
            return ExitCodes.Usage;
        }
        catch (Exception e) when (e is RunInputException or IOException or UnauthorizedAccessException)
        {
            error.WriteLine($"nativemtl search: {e.Message}");
            return ExitCodes.InvalidInput;
        }
    }
}
