using System.CommandLine;
using System.Globalization;
using NativeMtl.Data;
using NativeMtl.Host.Bench;
using NativeMtl.Host.Config;
using NativeMtl.Host.Report;
using NativeMtl.Host.Training;
using NativeMtl.Models;
using Spectre.Console;

namespace NativeMtl.Host.Commands;

/// <summary>What <c>nativemtl train</c> was asked: a config and its overrides, or a run to resume.</summary>
internal sealed record TrainArguments
{
    public string? Config { get; init; }

    public IReadOnlyList<string> Set { get; init; } = [];

    public string? Balancer { get; init; }

    public int? Steps { get; init; }

    public string? Device { get; init; }

    public ulong? Seed { get; init; }

    public string? Out { get; init; }

    public string? Resume { get; init; }

    public int? StopAt { get; init; }

    public bool PrintConfig { get; init; }

    public IReadOnlyList<string> Plugins { get; init; } = [];
}

/// <summary>
/// <c>nativemtl train</c>: trains a multi-task network from a YAML config (the embedded default without one) into a
/// run folder, with a progress display, validation metrics, checkpoints and an HTML report; <c>--resume</c>
/// continues an interrupted run exactly. Ctrl-C or SIGTERM stops after the current step with a checkpoint.
/// Exit codes: 0 finished (or stopped at --stop-at), 1 a loss became NaN or infinite, 2 bad arguments or config,
/// 3 the GPU asked for cannot be used, 4 data, checkpoint or run folder that cannot be used, 130 interrupted.
/// </summary>
public static class TrainCommand
{
    private const string Summary = "train a multi-task network and write a run folder (config.yaml, metrics.jsonl, checkpoints/, report.html)";

    /// <summary>What --help adds after the options: the longer explanation and examples.</summary>
    internal const string Details = """
        With no options it runs the embedded default: synthetic scenes at 96×128, a small ResNet with one conv head
        per task, AuxiLight balancing segmentation (main) against depth and normals (auxiliary), on the GPU when CUDA
        is usable and otherwise on the CPU, in a few minutes.

        Examples:
          nativemtl train                                      the default run, into runs/<time>-auxilight
          nativemtl train --print-config > my.yaml             write the default config to edit
          nativemtl train --config my.yaml --balancer ial --steps 2000 --out runs/ial
          nativemtl train --set optimizer.lr=0.01 --set data.height=64 --set data.width=80
          nativemtl train --set data.dataset=mtan --set data.path=/data/nyuv2 --device cuda
          nativemtl train --resume runs/ial                    continue where Ctrl-C stopped it

        Ctrl-C (or SIGTERM) stops after the current step, writes a checkpoint and prints the command that
        continues the run; a second Ctrl-C quits at once.
        Exit codes: 0 done, 1 a loss became NaN or infinite, 2 bad option or config, 3 GPU not usable,
        4 bad data, checkpoint or run folder, 130 interrupted.
        """;

    public static Command Create(TextWriter output, TextWriter error)
    {
        var config = new Option<string?>("--config") { Description = "YAML config file (fields not given keep the defaults; see --print-config)", HelpName = "FILE" };
        var set = new Option<string[]>("--set")
        {
            Description = "change one config field, FIELD=VALUE with a dotted field path and a YAML value; repeatable (e.g. --set optimizer.lr=0.01 --set model.widths=[32,64,128])",
            HelpName = "FIELD=VALUE",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var balancer = new Option<string?>("--balancer") { Description = "balancer with its default hyperparameters: " + string.Join(", ", Balancers.BalancerRegistry.Names), HelpName = "NAME" };
        var steps = Cli.WholeNumber("--steps", "training steps (replaces training.steps and training.epochs; with --resume, extends the run)", "N");
        var device = new Option<string?>("--device") { Description = "auto (GPU if usable, else CPU), cpu, cuda or cuda:N", HelpName = "DEVICE" };
        var seed = new Option<ulong?>("--seed") { Description = "seed of the initial weights, the data order and the augmentation", HelpName = "N" };
        var output_ = new Option<string?>("--out") { Description = "run folder to create (default runs/<yyyyMMdd-HHmmss>-<balancer>)", HelpName = "DIR" };
        var resume = new Option<string?>("--resume") { Description = "continue the run in this folder from its newest checkpoint, with its own config (only --device, --steps and --stop-at may be given)", HelpName = "RUN_DIR" };
        var stopAt = Cli.WholeNumber("--stop-at", "stop after this step as Ctrl-C would (checkpoint, resumable): train a long run in parts", "STEP");
        var printConfig = new Option<bool>("--print-config") { Description = "print the resolved config as YAML and exit" };
        var plugin = new Option<string[]>("--plugin")
        {
            Description = "load balancers and tasks from this assembly (a class implementing NativeMtl.Balancers.INativeMtlPlugin) before the config is read; repeatable; the run's config keeps it for --resume",
            HelpName = "PATH.dll",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var command = new Command("train", Summary);
        foreach (var o in new Option[] { config, set, balancer, steps, device, seed, output_, resume, stopAt, printConfig, plugin }) command.Options.Add(o);
        command.SetAction(parsed =>
        {
            var arguments = new TrainArguments
            {
                Config = parsed.GetValue(config),
                Set = parsed.GetValue(set) ?? [],
                Balancer = parsed.GetValue(balancer),
                Steps = parsed.GetValue(steps),
                Device = parsed.GetValue(device),
                Seed = parsed.GetValue(seed),
                Out = parsed.GetValue(output_),
                Resume = parsed.GetValue(resume),
                StopAt = parsed.GetValue(stopAt),
                PrintConfig = parsed.GetValue(printConfig),
                Plugins = parsed.GetValue(plugin) ?? [],
            };
            using var stop = new CancellationTokenSource();
            using var signals = new StopSignals(stop, error, "nativemtl train: stopping after this step to save a checkpoint (Ctrl-C again to quit at once)");
            return Run(arguments, output, error, stop.Token);
        });
        return command;
    }

    /// <summary>Runs the command; <paramref name="cancellation"/> stops the run between steps, as Ctrl-C does.</summary>
    internal static int Run(TrainArguments a, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        try
        {
            return Train(a, output, error, cancellation);
        }
        catch (ConfigException e)
        {
            return Fail(error, e.Message, ExitCodes.Usage);
        }
        catch (Exception e) when (e is RunInputException or CheckpointException or DataFormatException)
        {
            return Fail(error, e.Message, ExitCodes.InvalidInput);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return Fail(error, $"file system: {e.Message}", ExitCodes.InvalidInput);
        }
        catch (Exception e)
        {
            // A defect, not bad input: still one line, as every other failure, with a code of its own.
            return Fail(error, $"internal error: {e.GetType().Name}: {e.Message} (please report it with the config)", ExitCodes.Internal);
        }
    }

    private static int Train(TrainArguments a, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        if (a.StopAt is < 1) throw new ConfigException($"--stop-at must be at least 1, not {a.StopAt}");
        if (a.Steps is < 1) throw new ConfigException($"--steps must be at least 1, not {a.Steps}");
        if (a.Resume is not null) return Resume(a, output, error, cancellation);

        var plugins = a.Plugins.Select(p => Path.GetFullPath(p)).ToList();
        plugins.ForEach(PluginLoader.Load);
        var config = ConfigReader.Read(a.Config, Overrides(a));
        config = config with { Plugins = [.. config.Plugins, .. plugins.Except(config.Plugins)] };
        if (a.PrintConfig)
        {
            output.Write(ConfigWriter.ToYaml(config, withComments: true));
            return ExitCodes.Success;
        }
        config = config with { Out = config.Out ?? RunFolder.DefaultPath(config.Balancer.Name, DateTime.Now) };
        var folder = new RunFolder(config.Out!);
        folder.RefuseIfNotNew();
        var device = OpenDevice(config.Device, out var whyNot, error);
        if (device is null) return Fail(error, whyNot, ExitCodes.NoDevice);

        using var claim = RunLock.Acquire(folder.Path, "train");
        // Another train may have started the same folder since the check above.
        folder.RefuseIfNotNew();
        Trainer? trainer = null;
        try
        {
            trainer = new Trainer(config, device.Value);
            if (config.Model.InitFrom is { } init) output.WriteLine(InitFrom(init, trainer.Model));
            MemoryBudget.Check(trainer);
            CheckData(config, output);
            AtomicText.Write(folder.Config, ConfigWriter.ToYaml(config));
        }
        catch
        {
            trainer?.Dispose();
            claim.Abandon();
            throw;
        }
        using (trainer) return Execute(trainer, folder, a.StopAt, output, error, cancellation);
    }

    /// <summary>A fresh run's model.init_from, applied before the first step; a bad file names the field.</summary>
    private static string InitFrom(InitialWeightsSource init, MtlModel model)
    {
        try
        {
            return InitialWeights.Load(init, model).Summary(init);
        }
        catch (CheckpointException e)
        {
            throw new RunInputException($"model.init_from: {e.Message}");
        }
    }

    /// <summary>An MTAN-format dataset is checked whole before step 1, as <c>nativemtl data check</c> does, so that a bad
    /// sample stops the run now rather than hours into it.</summary>
    private static void CheckData(TrainConfig config, TextWriter output)
    {
        if (config.Data.Dataset != "mtan") return;
        var splits = new[] { "train", config.Data.ValSplit }.Distinct().ToList();
        output.WriteLine($"checking {config.Data.Path} ({string.Join(", ", splits)}) before step 1");
        var result = DataCommand.Run(config.Data.Path!, splits, config.Data.Classes, output);
        if (!result.IsValid)
            throw new RunInputException($"dataset {result.Defects[0].Message}" +
                (result.Defects.Count > 1 ? $" (and {result.Defects.Count - 1:N0} more defects; nativemtl data check {config.Data.Path} lists them)" : ""));
    }

    /// <summary>Continues a run from its newest readable checkpoint, or from step 0 when it died before its first one;
    /// --steps extends a run to more steps.</summary>
    private static int Resume(TrainArguments a, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var given = new[] { ("--config", a.Config is not null), ("--set", a.Set.Count > 0), ("--balancer", a.Balancer is not null),
            ("--seed", a.Seed is not null), ("--out", a.Out is not null), ("--print-config", a.PrintConfig), ("--plugin", a.Plugins.Count > 0) }.Where(g => g.Item2).Select(g => g.Item1).ToList();
        if (given.Count > 0)
            throw new ConfigException($"--resume continues a run with the config it started with; {string.Join(", ", given)} cannot be combined with it (only --device, --steps and --stop-at)");
        var folder = new RunFolder(a.Resume!);
        if (!File.Exists(folder.Config)) throw new RunInputException($"--resume {a.Resume}: not a run folder (it has no config.yaml)");
        using var claim = RunLock.Acquire(folder.Path, "train --resume");
        List<ConfigOverride> overrides = [ConfigOverride.Text("out", a.Resume!, $"--resume {a.Resume}")];
        if (a.Device is not null) overrides.Add(ConfigOverride.Text("device", a.Device, $"--device {a.Device}"));
        if (a.Steps is { } steps) overrides.AddRange(StepsOverrides(steps));
        var config = ConfigReader.Read(folder.Config, overrides);
        var device = OpenDevice(config.Device, out var whyNot, error);
        if (device is null) return Fail(error, whyNot, ExitCodes.NoDevice);

        using var trainer = new Trainer(config, device.Value);
        MemoryBudget.Check(trainer);
        folder.RemoveOrphanedTemporaries();
        var position = RestoreNewest(trainer, folder, extending: a.Steps is not null, output);
        if (position is null)
        {
            output.WriteLine($"{folder.Path} has no checkpoint: it stopped before its first; starting it again from step 0 with its config");
            MetricsLog.Truncate(folder.Metrics, 0);
        }
        else
        {
            if (a.Steps is { } extended && extended <= position.Step)
                throw new ConfigException($"--steps {extended}: the run is at step {position.Step} already; extending it needs more steps than that");
            // A run stopped during its last validation has every step but no final metrics yet: resuming finishes it.
            if (position.Step >= trainer.TotalSteps && folder.IsFinished)
            {
                output.WriteLine($"{folder.Path} is complete ({position.Step} of {trainer.TotalSteps} steps); nothing to continue (--steps N extends it)");
                return ExitCodes.Success;
            }
            MetricsLog.Truncate(folder.Metrics, position.Step);
            output.WriteLine($"resuming {folder.Path} after step {position.Step} of {trainer.TotalSteps}");
        }
        if (a.Steps is not null)
        {
            // The extended length is now the run's: its config says so, and its final files are redone at the new end.
            AtomicText.Write(folder.Config, ConfigWriter.ToYaml(config));
            foreach (var done in new[] { folder.FinalMetrics, folder.Model }) File.Delete(done);
        }
        return Execute(trainer, folder, a.StopAt, output, error, cancellation);
    }

    /// <summary>The newest checkpoint that restores, saying which ones were passed over and why; null when the run has
    /// none at all. Every checkpoint failing is an error that lists them.</summary>
    private static TrainingPosition? RestoreNewest(Trainer trainer, RunFolder folder, bool extending, TextWriter output)
    {
        var checkpoints = folder.Checkpoints();
        if (checkpoints.Count == 0) return null;
        var failures = new List<string>();
        foreach (var (_, path) in checkpoints.Reverse())
        {
            try
            {
                var position = trainer.Restore(path, extending);
                if (failures.Count > 0) output.WriteLine($"continuing from {path}: {string.Join("; ", failures)}");
                return position;
            }
            catch (CheckpointException e)
            {
                failures.Add($"{System.IO.Path.GetFileName(path)} cannot be used ({e.Reason})");
            }
        }
        throw new RunInputException($"--resume {folder.Path}: no checkpoint can be used: {string.Join("; ", failures)}");
    }

    /// <summary>Trains into the folder (locked by the caller) with a progress display, then reports.</summary>
    private static int Execute(Trainer trainer, RunFolder folder, int? stopAt, TextWriter output, TextWriter error, CancellationToken cancellation)
    {
        var config = trainer.Config;
        output.WriteLine($"run folder {folder.Path}: {config.Balancer.Name} on {DeviceChoice.Describe(trainer.Device)}, {trainer.TotalSteps} steps of {config.Training.BatchSize} images, {trainer.Model.ParameterCount:N0} parameters");

        var console = HostConsole.Create(output, 160);
        TrainResult result;
        if (HostConsole.IsTerminal(output))
        {
            TrainResult? live = null;
            console.Progress().AutoClear(true).HideCompleted(true)
                .Columns(LiveProgress.Columns())
                .Start(context => live = trainer.Run(folder, new LiveProgress(console, context, trainer.StepsPerEpoch), cancellation, stopAt));
            result = live!;
        }
        else
        {
            result = trainer.Run(folder, new LineProgress(output), cancellation, stopAt);
        }
        HtmlReport.Write(folder);

        switch (result.Outcome)
        {
            case TrainOutcome.Completed:
                PrintMetrics(console, $"validation after step {result.Step}", result.Final!);
                output.WriteLine($"done: {folder.Path} (report.html, final_metrics.json, model.safetensors)");
                return ExitCodes.Success;
            case TrainOutcome.Interrupted:
                (cancellation.IsCancellationRequested ? error : output).WriteLine($"nativemtl train: {result.Message}");
                return cancellation.IsCancellationRequested ? ExitCodes.Interrupted : ExitCodes.Success;
            default:
                return Fail(error, result.Message, ExitCodes.Failed);
        }
    }

    /// <summary>--steps N: training.steps N, and no epoch count.</summary>
    private static IEnumerable<ConfigOverride> StepsOverrides(int steps) =>
    [
        ConfigOverride.Parse($"training.steps={steps.ToString(CultureInfo.InvariantCulture)}") with { Origin = $"--steps {steps}" },
        ConfigOverride.Parse("training.epochs=null") with { Origin = $"--steps {steps}" },
    ];

    private static List<ConfigOverride> Overrides(TrainArguments a)
    {
        var overrides = a.Set.Select(ConfigOverride.Parse).ToList();
        if (a.Balancer is not null)
        {
            var section = new YamlDotNet.RepresentationModel.YamlMappingNode { { "name", a.Balancer } };
            overrides.Add(new ConfigOverride("balancer", section, $"--balancer {a.Balancer}"));
        }
        if (a.Steps is { } steps) overrides.AddRange(StepsOverrides(steps));
        if (a.Device is not null) overrides.Add(ConfigOverride.Text("device", a.Device, $"--device {a.Device}"));
        if (a.Seed is { } seed) overrides.Add(ConfigOverride.Parse($"seed={seed.ToString(CultureInfo.InvariantCulture)}") with { Origin = $"--seed {seed}" });
        if (a.Out is not null) overrides.Add(ConfigOverride.Text("out", a.Out, $"--out {a.Out}"));
        return overrides;
    }

    /// <summary>The config's device made usable, or null with the reason. "auto" falls back to the CPU, saying why
    /// on <paramref name="note"/> when CUDA is installed but cannot be used.</summary>
    internal static Device? OpenDevice(string name, out string whyNot, TextWriter? note = null)
    {
        if (name == "auto")
        {
            var chosen = DeviceChoice.Auto(out var fallback);
            if (fallback.Length > 0) note?.WriteLine($"device auto: running on the CPU, since CUDA is installed but not usable: {fallback}");
            whyNot = "";
            return chosen;
        }
        return DeviceChoice.TryOpen(name, out var device, out whyNot) ? device : null;
    }

    /// <summary>A table of every task's metrics.</summary>
    internal static void PrintMetrics(IAnsiConsole console, string title, ValidationMetrics result)
    {
        var table = new Table().Title(Markup.Escape(title)).AddColumns("task", "metric", "value");
        foreach (var (task, metrics) in result.Tasks)
            foreach (var m in metrics)
                table.AddRow(Markup.Escape(task), Markup.Escape(Describe(m)), m.Value.ToString("G5", CultureInfo.InvariantCulture));
        console.Write(table);
    }

    /// <summary>A metric's name with the direction in which it improves.</summary>
    private static string Describe(MetricValue m) => m.Caption;

    private static int Fail(TextWriter error, string message, int code)
    {
        error.WriteLine($"nativemtl train: {message.ReplaceLineEndings(" ")}");
        return code;
    }
}
