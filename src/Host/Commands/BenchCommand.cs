using System.CommandLine;
using NativeMtl.Balancers;
using NativeMtl.Host.Bench;
using Spectre.Console;

namespace NativeMtl.Host.Commands;

/// <summary>
/// <c>nativemtl bench</c>: the cost of one training step per balancer against Equal on a chosen device and model,
/// as a table and (with --json) a JSON file; with --kernels, the gradient-geometry and fused masked-L1 kernels'
/// bandwidth instead (and cuBLAS's syrk beside the Gram kernel on a GPU).
/// </summary>
public static class BenchCommand
{
    public static Command Create(TextWriter output, TextWriter error)
    {
        var device = new Option<string>("--device") { Description = "cpu, cuda or cuda:N", DefaultValueFactory = _ => "cpu" };
        var model = new Option<string>("--model")
        {
            Description = "small (ResNet of 16/32/64 channels, conv heads, 8 images at 96×128) or reference (ResNet-50 with dilation, ASPP heads, 8 at 288×384)",
            DefaultValueFactory = _ => "small",
        };
        model.AcceptOnlyFromAmong("small", "reference");
        var balancers = new Option<string>("--balancers") { Description = "comma-separated balancer names (default: all)" };
        var warmup = new Option<int>("--warmup") { Description = "untimed steps first", DefaultValueFactory = _ => 3 };
        var steps = new Option<int>("--steps") { Description = "timed steps (the median is reported)", DefaultValueFactory = _ => 10 };
        var json = new Option<FileInfo?>("--json") { Description = "also write the figures to this JSON file" };
        var kernels = new Option<bool>("--kernels") { Description = "benchmark the gradient-geometry kernels instead of the balancers" };
        var export = new Option<FileInfo?>("--export")
        {
            Description = "instead of timing, write the model's weights, one batch and its predictions to this safetensors file for benchmarks/peers/pytorch_reference.py",
        };
        var command = new Command("bench", "time one training step per balancer against Equal (or, with --kernels, the gradient kernels)");
        foreach (var o in new Option[] { device, model, balancers, warmup, steps, json, kernels, export }) command.Options.Add(o);
        command.SetAction(parsed => Run(parsed.GetValue(device)!, parsed.GetValue(model)!, parsed.GetValue(balancers), parsed.GetValue(warmup),
            parsed.GetValue(steps), parsed.GetValue(json), parsed.GetValue(kernels), output, error, parsed.GetValue(export)));
        return command;
    }

    public static int Run(string deviceName, string modelName, string? balancerList, int warmup, int steps, FileInfo? json, bool kernels,
        TextWriter output, TextWriter error, FileInfo? export = null)
    {
        if (!DeviceChoice.TryOpen(deviceName, out var device, out string whyNot))
        {
            error.WriteLine($"nativemtl bench: {whyNot}");
            return deviceName.StartsWith("cuda", StringComparison.Ordinal) && !whyNot.StartsWith("unknown device", StringComparison.Ordinal) ? ExitCodes.NoDevice : ExitCodes.Usage;
        }
        if (steps < 1 || warmup < 0)
        {
            error.WriteLine($"nativemtl bench: --steps must be at least 1 and --warmup at least 0 (got {steps} and {warmup})");
            return ExitCodes.Usage;
        }
        var names = balancerList?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries) ?? [.. BalancerRegistry.Names];
        var unknown = names.FirstOrDefault(n => !BalancerRegistry.Names.Contains(n));
        if (unknown is not null)
        {
            error.WriteLine($"nativemtl bench: unknown balancer '{unknown}' (known: {string.Join(", ", BalancerRegistry.Names)})");
            return ExitCodes.Usage;
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = ReferenceEquals(output, Console.Out) ? AnsiSupport.Detect : AnsiSupport.No });
        if (!ReferenceEquals(output, Console.Out)) console.Profile.Width = 160;
        if (kernels)
        {
            KernelBench.Run(device, console);
            return ExitCodes.Success;
        }
        var config = modelName == "reference" ? StepBenchConfig.Reference : new StepBenchConfig();
        if (export is not null)
        {
            using var bench = new BalancerStepBench("equal", device, config);
            bench.WritePeerFile(export.FullName, config);
            output.WriteLine($"wrote {export.FullName}: {config.Encoder} with {config.Head} heads, one batch of {config.Batch}×{config.Height}×{config.Width} and its predictions");
            return ExitCodes.Success;
        }
        var figures = BalancerBench.Run(device, config, names, warmup, steps, message => error.WriteLine($"bench on {device}: {message}"));
        BalancerBench.Print(console, $"one training step on {DeviceChoice.Describe(device)}: {config.Encoder}, {config.Head} heads, {config.Batch}×{config.Height}×{config.Width}", figures);
        if (json is not null)
            AtomicText.Write(json.FullName, BalancerBench.Json(device, config, warmup, steps, figures));
        return ExitCodes.Success;
    }
}
