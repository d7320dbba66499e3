using System.CommandLine;
using NativeMtl.Host.Check;
using NativeMtl.Kernels.Cuda;
using Spectre.Console;

namespace NativeMtl.Host.Commands;

/// <summary>
/// <c>nativemtl check --device cuda[:N]</c>: every op forward and backward on the CPU and on the GPU from the same
/// random inputs, as a table of errors against thresholds, then 20 training steps of a small conv net on both
/// from the same weights. Exit code 0 when everything agrees, 1 when something does not, 3 with one line saying
/// why when the GPU cannot be used.
/// </summary>
public static class CheckCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var device = new Option<string>("--device")
        {
            Description = "the device to check against the CPU: cuda or cuda:N",
            DefaultValueFactory = _ => "cuda",
        };
        var command = new Command("check", "compare every op and a short training run between the CPU and a GPU");
        command.Options.Add(device);
        command.SetAction(parsed => Run(parsed.GetValue(device)!, output, error, CudaRuntime.TryRegister));
        return command;
    }

    /// <summary>Runs the check; <paramref name="register"/> makes the CUDA backend available or says why not.</summary>
    public static int Run(string deviceName, TextWriter output, TextWriter error, TryRegister register)
    {
        if (!TryParseDevice(deviceName, out var device))
        {
            error.WriteLine($"nativemtl check: unknown device '{deviceName}' (expected cuda or cuda:N)");
            return ExitCodes.Usage;
        }
        if (!register(out string whyNot))
        {
            error.WriteLine($"nativemtl check: no usable CUDA device: {whyNot}");
            return ExitCodes.NoDevice;
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings
        {
            Out = new AnsiConsoleOutput(output),
            Ansi = ReferenceEquals(output, Console.Out) ? AnsiSupport.Detect : AnsiSupport.No,
        });
        if (!ReferenceEquals(output, Console.Out)) console.Profile.Width = 200;
        try
        {
            Kernels.Backends.For(device);
        }
        catch (Exception e) when (e is CudaException or ArgumentOutOfRangeException or NotSupportedException)
        {
            error.WriteLine($"nativemtl check: no usable CUDA device: {e.Message.ReplaceLineEndings(" ")}");
            return ExitCodes.NoDevice;
        }
        bool opsAgree = OpParity.Run(device, console);
        bool trainingAgrees = TrainingParity.Run(device, console);
        console.MarkupLine(opsAgree && trainingAgrees ? "[green]check passed[/]" : "[red]check failed[/]");
        return opsAgree && trainingAgrees ? ExitCodes.Success : ExitCodes.Failed;
    }

    public delegate bool TryRegister(out string whyNot);

    private static bool TryParseDevice(string name, out Device device)
    {
        device = Device.Cuda();
        if (name == "cuda") return true;
        if (!name.StartsWith("cuda:", StringComparison.Ordinal) || !int.TryParse(name.AsSpan(5), out int index) || index < 0) return false;
        device = Device.Cuda(index);
        return true;
    }
}
