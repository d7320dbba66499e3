using System.Text.Json;
using NativeMtl.Host;
using NativeMtl.Host.Config;
using NativeMtl.Kernels.Cuda;
using NativeMtl.Models;
using static NativeMtl.Tests.HostLayer.TrainTestKit;

namespace NativeMtl.Tests.HostLayer;

/// <summary>Each kind of bad input gives one line on stderr, a non-zero exit code, and leaves no file half-written.</summary>
public class BadInputTests
{
    /// <summary>Runs the command and returns its one stderr line, after checking the exit code.</summary>
    private static string OneErrorLine(int expectedCode, params string[] args)
    {
        var (code, _, error) = Run(args);
        Assert.Equal(expectedCode, code);
        return Assert.Single(Lines(error));
    }

    /// <summary>No temporary file of an atomic write is left, and every file a run writes reads as a whole.</summary>
    private static void AssertEveryFileIsWhole(TempFolder temp)
    {
        foreach (var file in temp.Files().Select(f => Path.Combine(temp.Path, f)))
        {
            Assert.False(file.EndsWith(".tmp", StringComparison.Ordinal), $"{file} is a temporary file left behind");
            if (file.EndsWith(".safetensors", StringComparison.Ordinal)) SafeTensorsFile.Open(file).Dispose();
            if (file.EndsWith(".json", StringComparison.Ordinal)) JsonDocument.Parse(File.ReadAllText(file)).Dispose();
            if (file.EndsWith(".jsonl", StringComparison.Ordinal)) Assert.All(File.ReadAllLines(file), l => JsonDocument.Parse(l).Dispose());
            if (file.EndsWith("config.yaml", StringComparison.Ordinal)) ConfigReader.Read(file, []);
        }
    }

    [Fact]
    public void AYamlSyntaxErrorNamesTheLineAndCreatesNoRunFolder()
    {
        using var temp = new TempFolder();
        var config = temp.Write("bad.yaml", "seed: 1\nmodel:\n  widths: [8, 16\n  blocks: [1, 1, 1]\n");
        var line = OneErrorLine(ExitCodes.Usage, "train", "--config", config, "--out", temp["run"]);
        Assert.Equal($"nativemtl train: config {config} line 3: YAML syntax error: the [ on this line is never closed", line);
        Assert.False(Directory.Exists(temp["run"]));
    }

    [Fact]
    public void AnUnknownFieldNamesItAndCreatesNoRunFolder()
    {
        using var temp = new TempFolder();
        var config = temp.Write("bad.yaml", "training:\n  step: 10\n");
        var line = OneErrorLine(ExitCodes.Usage, "train", "--config", config, "--out", temp["run"]);
        Assert.StartsWith($"nativemtl train: config {config} line 2: unknown field 'training.step' (known in training: ", line);
        Assert.False(Directory.Exists(temp["run"]));
    }

    [Fact]
    public void AValueOfTheWrongTypeNamesTheField()
    {
        using var temp = new TempFolder();
        var config = temp.Write("bad.yaml", "data:\n  height: tall\n");
        Assert.Equal($"nativemtl train: config {config} line 2: data.height: expected an integer, got 'tall'",
            OneErrorLine(ExitCodes.Usage, "train", "--config", config, "--out", temp["run"]));
        Assert.False(Directory.Exists(temp["run"]));
    }

    [Fact]
    public void AnUnknownBalancerListsTheKnownOnes()
    {
        using var temp = new TempFolder();
        var line = OneErrorLine(ExitCodes.Usage, "train", "--balancer", "pcgrad", "--out", temp["run"]);
        Assert.StartsWith("nativemtl train: --balancer pcgrad: balancer.name: unknown value 'pcgrad' (known: autolambda, auxilight, ", line);
        Assert.False(Directory.Exists(temp["run"]));
    }

    [Fact]
    public void AnUnknownTaskListsTheKnownOnes()
    {
        using var temp = new TempFolder();
        Assert.Equal("nativemtl train: --set tasks={seg: main, sky: auxiliary}: tasks: unknown task 'sky' (known: seg, depth, normal, curvature, coordinates)",
            OneErrorLine(ExitCodes.Usage, "train", "--set", "tasks={seg: main, sky: auxiliary}", "--out", temp["run"]));
        Assert.False(Directory.Exists(temp["run"]));
    }

    [Fact]
    public void ABalancerThatNeedsOneMainTaskRefusesTwo()
    {
        using var temp = new TempFolder();
        var line = OneErrorLine(ExitCodes.Usage, "train", "--config", temp.Write("tiny.yaml", TinyConfig), "--set", "tasks={seg: main, depth: main}", "--out", temp["run"]);
        Assert.Equal("nativemtl train: balancer: balancer auxilight needs exactly one main task and at least one auxiliary task, got 2 main of 2", line);
        Assert.False(Directory.Exists(temp["run"]));
    }

    [Fact]
    public void AnUnknownDeviceIsAConfigError()
    {
        using var temp = new TempFolder();
        Assert.Equal("nativemtl train: --device gpu: device: unknown device 'gpu' (expected auto, cpu, cuda or cuda:N)",
            OneErrorLine(ExitCodes.Usage, "train", "--device", "gpu", "--out", temp["run"]));
    }

    [SkippableFact]
    public void AskingForCudaWithoutAUsableGpuSaysWhyAndExitsWithNoDevice()
    {
        Skip.If(CudaRuntime.TryRegister(out _), "CUDA is usable on this machine");
        using var temp = new TempFolder();
        OneErrorLine(ExitCodes.NoDevice, "train", "--device", "cuda", "--out", temp["run"]);
        Assert.False(Directory.Exists(temp["run"]));
    }

    [Fact]
    public void AMissingDatasetFolderIsNamed()
    {
        using var temp = new TempFolder();
        var missing = temp["no-such-nyuv2"];
        Assert.Equal($"nativemtl train: data.path {missing}: no such folder (an MTAN-format dataset holds train/ and val/)",
            OneErrorLine(ExitCodes.InvalidInput, "train", "--set", "data.dataset=mtan", "--set", $"data.path={missing}", "--out", temp["run"]));
        Assert.False(Directory.Exists(temp["run"]));
    }

    [Fact]
    public void ADatasetFolderWithoutItsTaskFoldersNamesTheMissingOne()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(Path.Combine(temp["nyu"], "train", "image"));
        Assert.Equal($"nativemtl train: dataset {Path.Combine(temp["nyu"], "train", "label")}: missing folder",
            OneErrorLine(ExitCodes.InvalidInput, "train", "--set", "data.dataset=mtan", "--set", $"data.path={temp["nyu"]}", "--out", temp["run"]));
    }

    [Fact]
    public void ACorruptCheckpointStopsTheResumeAndChangesNoFile()
    {
        using var temp = new TempFolder();
        Assert.Equal(0, Run("train", "--config", temp.Write("tiny.yaml", TinyConfig), "--out", temp["run"], "--stop-at", "2").Code);
        var checkpoint = Path.Combine(temp["run"], "checkpoints", "step-000002.safetensors");
        var bytes = File.ReadAllBytes(checkpoint);
        File.WriteAllBytes(checkpoint, bytes[..(bytes.Length / 2)]);
        var before = temp.Files().ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(temp.Path, f)));

        var line = OneErrorLine(ExitCodes.InvalidInput, "train", "--resume", temp["run"]);
        Assert.StartsWith($"nativemtl train: checkpoint {checkpoint}: ", line);
        Assert.Equal(before.Keys, temp.Files());
        Assert.All(before, f => Assert.Equal(f.Value, File.ReadAllBytes(Path.Combine(temp.Path, f.Key))));
    }

    [Fact]
    public void ACheckpointOfAnotherModelIsAShapeMismatchNamingTheTensor()
    {
        using var temp = new TempFolder();
        Assert.Equal(0, Run("train", "--config", temp.Write("tiny.yaml", TinyConfig), "--out", temp["run"], "--stop-at", "2").Code);
        var wider = temp.Write("wider.yaml", TinyConfig.Replace("widths: [8, 16, 16]", "widths: [8, 16, 24]"));
        var checkpoint = Path.Combine(temp["run"], "checkpoints", "step-000002.safetensors");
        var line = OneErrorLine(ExitCodes.InvalidInput, "eval", "--checkpoint", checkpoint, "--config", wider);
        Assert.Equal($"nativemtl eval: checkpoint {checkpoint}: tensor 'encoder.layer3.0.conv1.weight' has shape [16, 16, 3, 3], the model expects [24, 16, 3, 3]", line);
    }

    [Fact]
    public void AResumeWhoseConfigWasEditedIsRefused()
    {
        using var temp = new TempFolder();
        Assert.Equal(0, Run("train", "--config", temp.Write("tiny.yaml", TinyConfig), "--out", temp["run"], "--stop-at", "2").Code);
        var config = Path.Combine(temp["run"], "config.yaml");
        File.WriteAllText(config, File.ReadAllText(config).Replace("lr: 0.02", "lr: 0.03"));
        var line = OneErrorLine(ExitCodes.InvalidInput, "train", "--resume", temp["run"]);
        Assert.EndsWith("it was written with another config than the run's config.yaml (config hashes differ); a run continues only with the config it started with", line);
    }

    [Fact]
    public void ANonFiniteLossStopsTheRunNamingTheStepAndTaskAndLeavesWholeFiles()
    {
        using var temp = new TempFolder();
        var (code, _, error) = Run("train", "--config", temp.Write("tiny.yaml", TinyConfig), "--out", temp["run"], "--set", "optimizer.lr=1e30");
        Assert.Equal(ExitCodes.Failed, code);
        var line = Assert.Single(Lines(error));
        Assert.Matches(@"^nativemtl train: the (seg|depth|normal) loss is (NaN|-?Infinity) at step [2-6] of 6; ", line);
        Assert.Matches(@"(stopped and saved the last good state \(after step \d\) as .*step-00000\d\.safetensors|nothing was saved)", line);
        Assert.False(File.Exists(Path.Combine(temp["run"], "model.safetensors")));
        AssertEveryFileIsWhole(temp);
    }

    [Fact]
    public void ARunFolderThatHoldsARunIsNotOverwritten()
    {
        using var temp = new TempFolder();
        var config = temp.Write("tiny.yaml", TinyConfig);
        Assert.Equal(0, Run("train", "--config", config, "--out", temp["run"], "--stop-at", "2").Code);
        Assert.Equal($"nativemtl train: {temp["run"]} already holds a run; continue it with --resume {temp["run"]} or choose another --out",
            OneErrorLine(ExitCodes.InvalidInput, "train", "--config", config, "--out", temp["run"]));
    }

    [Fact]
    public void ResumeTakesNoConfigChanges()
    {
        using var temp = new TempFolder();
        Assert.Equal("nativemtl train: --resume continues a run with the config it started with; --set, --steps cannot be combined with it (only --device and --stop-at)",
            OneErrorLine(ExitCodes.Usage, "train", "--resume", temp.Path, "--set", "seed=2", "--steps", "9"));
    }

    [Fact]
    public void ResumingAFolderThatIsNoRunSaysSo()
    {
        using var temp = new TempFolder();
        Assert.Equal($"nativemtl train: --resume {temp.Path}: not a run folder (it has no config.yaml)", OneErrorLine(ExitCodes.InvalidInput, "train", "--resume", temp.Path));
    }

    [Fact]
    public void EvalOfAFolderThatIsNoRunSaysSo()
    {
        using var temp = new TempFolder();
        Assert.Equal($"nativemtl eval: --run {temp.Path}: not a run folder (it has no config.yaml)", OneErrorLine(ExitCodes.InvalidInput, "eval", "--run", temp.Path));
    }

    [Fact]
    public void ReportOfAFolderWithoutMetricsSaysSo()
    {
        using var temp = new TempFolder();
        Assert.Equal($"nativemtl report: {temp.Path}: not a run folder with metrics (it has no metrics.jsonl)", OneErrorLine(ExitCodes.InvalidInput, "report", temp.Path));
    }
}
