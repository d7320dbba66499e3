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
            Description = "small (ResNet of 16/32/64 channels, conv heads, 8 images at 96×128), reference (ResNet-50 with dilation, ASPP heads, 8 at 288×384) or pose (the small ResNet on 8 object crops of 64×64, configs/pose.yaml's tasks)",
            DefaultValueFactory = _ => "small",
        };
        model.AcceptOnlyFromAmong("small", "reference", "pose");
        var batch = new Option<int?>("--batch") { Description = "images per batch instead of the model's (small 8, reference 8, pose 8)" };
        var height = new Option<int?>("--height") { Description = "image height instead of the model's (small 96, reference 288, pose 64)" };
        var width = new Option<int?>("--width") { Description = "image width instead of the model's (small 128, reference 384, pose 64)" };
        var balancers = new Option<string>("--balancers")
        {
            Description = "comma-separated balancers (default: all), each NAME or NAME[key=value;...] with options, e.g. classwise[mode=jvp;bins=32]",
        };
        var tasks = new Option<string>("--tasks")
        {
            Description = $"comma-separated tasks, the first main (default seg,depth,normal; known: {string.Join(", ", DenseTask.Known)}; with --model pose: {string.Join(", ", DenseTask.KnownOnPose)}, all by default)",
        };
        var warmup = new Option<int>("--warmup") { Description = "untimed steps first", DefaultValueFactory = _ => 3 };
        var steps = new Option<int>("--steps") { Description = "timed steps (the median is reported)", DefaultValueFactory = _ => 10 };
        var json = new Option<FileInfo?>("--json") { Description = "also write the figures to this JSON file" };
        var kernels = new Option<bool>("--kernels") { Description = "benchmark the gradient-geometry kernels instead of the balancers" };
        var export = new Option<FileInfo?>("--export")
        {
            Description = "instead of timing, write the model's weights, one batch and its predictions to this safetensors file for benchmarks/peers/pytorch_peer.py",
        };
        var command = new Command("bench", "time one training step per balancer against Equal (or, with --kernels, the gradient kernels)");
        foreach (var o in new Option[] { device, model, batch, height, width, tasks, balancers, warmup, steps, json, kernels, export }) command.Options.Add(o);
        command.SetAction(parsed => Run(parsed.GetValue(device)!, parsed.GetValue(model)!, parsed.GetValue(balancers), parsed.GetValue(warmup),
            parsed.GetValue(steps), parsed.GetValue(json), parsed.GetValue(kernels), output, error, parsed.GetValue(export),
            (parsed.GetValue(batch), parsed.GetValue(height), parsed.GetValue(width)), parsed.GetValue(tasks)));
        return command;
    }

    public static int Run(string deviceName, string modelName, string? balancerList, int warmup, int steps, FileInfo? json, bool kernels,
        TextWriter output, TextWriter error, FileInfo? export = null, (int? Batch, int? Height, int? Width) size = default, string? taskList = null)
    {
        foreach (var (name, value) in new[] { ("--batch", size.Batch), ("--height", size.Height), ("--width", size.Width) })
            if (value is < 1)
            {
                error.WriteLine($"nativemtl bench: {name} must be at least 1 (got {value})");
                return ExitCodes.Usage;
            }
        if (!DeviceChoice.TryOpen(deviceName, out var device, out string whyNot))
        {
            error.WriteLine($"nativemtl bench: {whyNot}");
            return deviceName.StartsWith("cuda", StringComparison.Ordinal) && !whyNot.StartsWith("unknown device", StringComparison.Ordinal) ? ExitCodes.NoDevice : ExitCodes.Usage;
        }
        foreach (var (option, file) in new[] { ("--json", json?.FullName), ("--export", export?.FullName) })
            if (file is not null && OutputFile.Problem(file) is { } problem)
            {
                error.WriteLine($"nativemtl bench: {option} {file} {problem}");
                return ExitCodes.Usage;
            }
        if (steps < 1 || warmup < 0)
        {
            error.WriteLine($"nativemtl bench: --steps must be at least 1 and --warmup at least 0 (got {steps} and {warmup})");
            return ExitCodes.Usage;
        }
        IReadOnlyList<BalancerSpec> specs;
        try
        {
            specs = balancerList is null ? BalancerRegistry.Names.Select(n => new BalancerSpec(n, new Dictionary<string, object?>())).ToList() : BalancerSpec.ParseList(balancerList);
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"nativemtl bench: {e.Message}");
            return ExitCodes.Usage;
        }
        var unknown = specs.FirstOrDefault(s => !BalancerRegistry.Names.Contains(s.Name));
        if (unknown is not null)
        {
            error.WriteLine($"nativemtl bench: unknown balancer '{unknown.Name}' (known: {string.Join(", ", BalancerRegistry.Names)})");
            return ExitCodes.Usage;
        }
        var taskNames = taskList?.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (taskNames is not null)
        {
            var known = modelName == "pose" ? DenseTask.KnownOnPose : DenseTask.Known;
            var unknownTask = taskNames.FirstOrDefault(t => !known.Contains(t));
            if (unknownTask is not null || taskNames.Length < 1 || taskNames.Distinct().Count() != taskNames.Length)
            {
                error.WriteLine(unknownTask is not null
                    ? $"nativemtl bench: unknown task '{unknownTask}' for --model {modelName} (known: {string.Join(", ", known)})"
                    : $"nativemtl bench: --tasks needs different tasks (got {taskList})");
                return ExitCodes.Usage;
            }
        }
        var console = AnsiConsole.Create(new AnsiConsoleSettings { Out = new AnsiConsoleOutput(output), Ansi = ReferenceEquals(output, Console.Out) ? AnsiSupport.Detect : AnsiSupport.No });
        if (!ReferenceEquals(output, Console.Out)) console.Profile.Width = 160;
        if (kernels)
        {
            KernelBench.Run(device, console);
            return ExitCodes.Success;
        }
        var preset = modelName switch { "reference" => StepBenchConfig.Reference, "pose" => StepBenchConfig.PoseCrops, _ => new StepBenchConfig() };
        var config = preset with
        {
            Batch = size.Batch ?? preset.Batch,
            Height = size.Height ?? preset.Height,
            Width = size.Width ?? preset.Width,
            Tasks = taskNames ?? preset.Tasks,
        };
        if (export is not null)
        {
            using var bench = new BalancerStepBench("equal", device, config);
            bench.WritePeerFile(export.FullName, config);
            output.WriteLine($"wrote {export.FullName}: {config.Encoder} with {config.Head} heads, one batch of {config.Batch}×{config.Height}×{config.Width} and its predictions");
            return ExitCodes.Success;
        }
        IReadOnlyList<BalancerFigures> figures;
        try
        {
            figures = BalancerBench.Run(device, config, specs, warmup, steps, message => error.WriteLine($"bench on {device}: {message}"));
        }
        catch (ArgumentException e)
        {
            error.WriteLine($"nativemtl bench: {e.Message}");
            return ExitCodes.Usage;
        }
        BalancerBench.Print(console, $"one training step on {DeviceChoice.Describe(device)}: {config.Encoder}, {config.Head} heads, {config.Batch}×{config.Height}×{config.Width}", figures);
        if (json is not null)
            AtomicText.Write(json.FullName, BalancerBench.Json(device, config, warmup, steps, figures));
        return ExitCodes.Success;
    }
}
