using System.CommandLine;
using NativeMtl.Data;
using NativeMtl.Host.Config;
using NativeMtl.Host.Training;
using NativeMtl.Models;

namespace NativeMtl.Host.Commands;

/// <summary>
/// <c>nativemtl eval</c>: the validation metrics of a trained model, from a run folder's newest checkpoint or from a
/// checkpoint file and a config, as a table (and with --json a file). Exit codes as for train.
/// </summary>
public static class EvalCommand
{
    private const string Summary = "validation metrics of a trained model: segmentation mIoU and pixel accuracy, depth errors, normal angles";

    /// <summary>What --help adds after the options: the longer explanation and examples.</summary>
    internal const string Details = """
        Examples:
          nativemtl eval --run runs/20260101-120000-auxilight            the run's newest checkpoint, its config
          nativemtl eval --checkpoint model.safetensors --config my.yaml  any checkpoint of that config
          nativemtl eval --run runs/ial --json ial_metrics.json --device cpu

        A checkpoint written by nativemtl train carries its config, so --config may be left out with --checkpoint.
        """;

    public static Command Create(TextWriter output, TextWriter error)
    {
        var run = new Option<string?>("--run") { Description = "a run folder of nativemtl train: its newest checkpoint with its config.yaml", HelpName = "RUN_DIR" };
        var checkpoint = new Option<string?>("--checkpoint") { Description = "a checkpoint or model.safetensors to evaluate (instead of --run)", HelpName = "FILE" };
        var config = new Option<string?>("--config") { Description = "the YAML config the checkpoint was trained with (default: the one stored in the checkpoint)", HelpName = "FILE" };
        var device = new Option<string?>("--device") { Description = "auto, cpu, cuda or cuda:N (default: the config's)", HelpName = "DEVICE" };
        var json = new Option<string?>("--json") { Description = "also write the metrics to this JSON file", HelpName = "FILE" };
        var command = new Command("eval", Summary);
        foreach (var o in new Option[] { run, checkpoint, config, device, json }) command.Options.Add(o);
        command.SetAction(parsed => Run(parsed.GetValue(run), parsed.GetValue(checkpoint), parsed.GetValue(config), parsed.GetValue(device), parsed.GetValue(json), output, error));
        return command;
    }

    internal static int Run(string? run, string? checkpoint, string? configFile, string? device, string? json, TextWriter output, TextWriter error)
    {
        try
        {
            return Evaluate(run, checkpoint, configFile, device, json, output, error);
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
            return Fail(error, $"internal error: {e.GetType().Name}: {e.Message} (please report it with the config)", ExitCodes.Internal);
        }
    }

    private static int Evaluate(string? run, string? checkpoint, string? configFile, string? deviceName, string? json, TextWriter output, TextWriter error)
    {
        if ((run is null) == (checkpoint is null)) throw new ConfigException("give either --run RUN_DIR or --checkpoint FILE");
        if (json is not null && OutputFile.Problem(json) is { } problem) throw new ConfigException($"--json {json} {problem}");
        if (run is not null && configFile is not null) throw new ConfigException("--config goes with --checkpoint; a run folder has its own config.yaml");
        List<ConfigOverride> overrides = deviceName is null ? [] : [ConfigOverride.Text("device", deviceName, $"--device {deviceName}")];
        TrainConfig config;
        if (run is not null)
        {
            var folder = new RunFolder(run);
            if (!File.Exists(folder.Config)) throw new RunInputException($"--run {run}: not a run folder (it has no config.yaml)");
            checkpoint = folder.Checkpoints().LastOrDefault().Path ?? throw new RunInputException($"--run {run}: the run has no checkpoint yet");
            config = ConfigReader.Read(folder.Config, overrides);
        }
        else if (configFile is not null)
        {
            config = ConfigReader.Read(configFile, overrides);
        }
        else
        {
            string? stored;
            using (var file = SafeTensorsFile.Open(checkpoint!)) stored = file.Metadata.GetValueOrDefault(TrainingCheckpoint.ConfigKey);
            if (stored is null) throw new ConfigException($"--checkpoint {checkpoint} carries no config; give the one it was trained with (--config FILE)");
            config = ConfigReader.Parse(stored, $"stored in {checkpoint}", overrides);
        }

        var device = TrainCommand.OpenDevice(config.Device, out var whyNot);
        if (device is null)
        {
            error.WriteLine($"nativemtl eval: {whyNot}");
            return ExitCodes.NoDevice;
        }
        var tasks = RunSetup.Tasks(config);
        var validation = RunSetup.ValidationSet(config);
        using var model = RunSetup.Model(config, tasks, device.Value);
        var loaded = Checkpoint.Load(checkpoint!, model, strict: false);
        // Auxiliary modules and deep-supervision heads run in training only, and model.safetensors leaves them out.
        var missing = loaded.Missing.Where(n => !MtlModel.IsTrainingOnly(n)).ToList();
        if (missing.Count > 0)
            throw new CheckpointException(checkpoint!, $"it lacks {missing.Count} of the model's tensors, such as '{missing[0]}': it was trained with another model config");
        var result = Validation.Run(model, tasks, RunSetup.Classes(config), validation, RunSetup.ValidationLoader(config, device.Value), CancellationToken.None);
        output.WriteLine($"{checkpoint}: validation on {validation.Count} samples");
        TrainCommand.PrintMetrics(HostConsole.Create(output, 160), "validation metrics", result);
        if (json is not null)
            AtomicText.Write(json, new System.Text.Json.Nodes.JsonObject
            {
                ["checkpoint"] = Path.GetFullPath(checkpoint!),
                ["samples"] = validation.Count,
                ["metrics"] = MetricsLog.MetricsObject(result),
                ["metric_schema"] = MetricsLog.MetricsSchema(result),
            }.ToJsonString(MetricsLog.IndentedOptions) + "\n");
        return ExitCodes.Success;
    }

    private static int Fail(TextWriter error, string message, int code)
    {
        error.WriteLine($"nativemtl eval: {message.ReplaceLineEndings(" ")}");
        return code;
    }
}
