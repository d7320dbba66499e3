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
        var line = OneErrorLine(ExitCodes.Usage, "train", "--balancer", "gradvaccine", "--out", temp["run"]);
        Assert.StartsWith("nativemtl train: --balancer gradvaccine: balancer.name: unknown value 'gradvaccine' (known: aligned_mtl, autolambda, auxilight, ", line);
        Assert.False(Directory.Exists(temp["run"]));
    }

    [Fact]
    public void AnUnknownTaskListsTheKnownOnes()
    {
        using var temp = new TempFolder();
        Assert.Equal("nativemtl train: --set tasks={seg: main, sky: auxiliary}: tasks: unknown task 'sky' (known: seg, depth, normal, curvature, coordinates, noise, seg_noisy, pose, reconstruction)",
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
        Assert.StartsWith($"nativemtl train: --resume {temp["run"]}: no checkpoint can be used: {Path.GetFileName(checkpoint)} cannot be used (", line);
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
        Assert.EndsWith("(it was written with another config than the run's config.yaml (config hashes differ); a run continues only with the config it started with)", line);
    }

    [Fact]
    public void ANonFiniteLossStopsTheRunNamingTheStepAndTaskAndLeavesWholeFiles()
    {
        using var temp = new TempFolder();
        var (code, _, error) = Run("train", "--config", temp.Write("tiny.yaml", TinyConfig), "--out", temp["run"], "--set", "optimizer.lr=1e30");
        Assert.Equal(ExitCodes.Failed, code);
        var line = Assert.Single(Lines(error));
        // SGD at lr 1e30: step 1 is finite and leaves weights of order 1e30, whose products overflow in step 2's
        // forward pass; seg is the first task whose loss is checked. The state before step 2 is the one saved.
        var saved = Path.Combine(temp["run"], "checkpoints", "step-000001.safetensors");
        Assert.Equal($"nativemtl train: the seg loss is NaN at step 2 of 6; stopped and saved the last good state (after step 1) as {saved}", line);
        Assert.Equal([saved], Directory.GetFiles(Path.Combine(temp["run"], "checkpoints")));
        Assert.False(File.Exists(Path.Combine(temp["run"], "model.safetensors")));
        AssertEveryFileIsWhole(temp);
    }

    /// <summary>One SGD step at lr 1e30 leaves the training loss of that step finite but the weights of order 1e30: the
    /// validation after it predicts NaN. That is a failure (exit 1, no final metrics), not "done", and the log holds
    /// null where a metric is not a number, never a string.</summary>
    [Fact]
    public void NonFiniteValidationMetricsStopTheRunAndAreWrittenAsNull()
    {
        using var temp = new TempFolder();
        var (code, _, error) = Run("train", "--config", temp.Write("tiny.yaml", TinyConfig), "--out", temp["run"], "--steps", "1", "--set", "optimizer.lr=1e30");
        Assert.Equal(ExitCodes.Failed, code);
        Assert.Equal("nativemtl train: validation after step 1 gives seg loss = NaN: the model's predictions are not finite, so the run stops",
            Assert.Single(Lines(error)));
        Assert.False(File.Exists(Path.Combine(temp["run"], "final_metrics.json")));
        var validation = File.ReadLines(Path.Combine(temp["run"], "metrics.jsonl")).Last();
        Assert.Contains("\"loss\":null", validation);
        Assert.DoesNotContain("NaN", validation);
        Assert.DoesNotContain("Infinity", validation);
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
        Assert.Equal("nativemtl train: --resume continues a run with the config it started with; --set, --seed cannot be combined with it (only --device, --steps and --stop-at)",
            OneErrorLine(ExitCodes.Usage, "train", "--resume", temp.Path, "--set", "seed=2", "--seed", "9"));
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

    [SkippableFact]
    public void AStepTooLargeForMemoryIsRefusedNamingTheEstimateAndWhatIsAvailable()
    {
        Skip.IfNot(File.Exists("/proc/meminfo"), "the host's free memory is read from /proc/meminfo");
        using var temp = new TempFolder();
        var line = OneErrorLine(ExitCodes.Usage, "train", "--config", temp.Write("tiny.yaml", TinyConfig), "--set", "data.height=100000", "--set", "data.width=100000", "--out", temp["run"]);
        Assert.Matches(@"^nativemtl train: a training step needs about [0-9.]+ GB \(activations [0-9.]+ GB, balancer buffers [0-9.]+ GB, batches [0-9.]+ GB\) and the host has [0-9.]+ GB available; lower data.height and data.width \(100000×100000\) or training.batch_size \(2\)$", line);
        Assert.False(Directory.Exists(temp["run"]));
    }

    [Fact]
    public void ImagesSmallerThanTheModelCanTakeAreRefused()
    {
        using var temp = new TempFolder();
        Assert.Equal("nativemtl train: images of 1×1 are too small for the model: at output stride 8 it needs at least 16×16 (data.height, data.width)",
            OneErrorLine(ExitCodes.Usage, "train", "--config", temp.Write("tiny.yaml", TinyConfig), "--set", "data.height=1", "--set", "data.width=1", "--out", temp["run"]));
        Assert.False(Directory.Exists(temp["run"]));
    }

    [Fact]
    public void AnEmptyOutIsAConfigError() =>
        Assert.Equal("nativemtl train: --out : out: an empty path; give a folder or null", OneErrorLine(ExitCodes.Usage, "train", "--out", "", "--print-config"));

    [Fact]
    public void EpochsThatMakeMoreStepsThanARunCanTakeAreAConfigError()
    {
        using var temp = new TempFolder();
        Assert.Equal("nativemtl train: training.epochs 2000000000 of 32 steps make 64000000000 steps, more than the 2147483647 a run can take",
            OneErrorLine(ExitCodes.Usage, "train", "--config", temp.Write("tiny.yaml", TinyConfig), "--set", "training.steps=null", "--set", "training.epochs=2000000000", "--out", temp["run"]));
    }

    [Fact]
    public void AConfigWhoseSectionIsAValueIsBlamedOnTheFileNotOnTheOverrideThatReachesIntoIt()
    {
        using var temp = new TempFolder();
        var config = temp.Write("bad.yaml", "training: 5\n");
        Assert.Equal($"nativemtl train: config {config} line 1: training: expected a section (a mapping of fields), got '5'",
            OneErrorLine(ExitCodes.Usage, "train", "--config", config, "--steps", "2"));
    }

    [Theory]
    [InlineData("training.log_every=3000000000", "3000000000 is too large (at most 2147483647)")]
    [InlineData("training.log_every=99999999999999999999", "99999999999999999999 is too large (from 1 to 2147483647)")]
    [InlineData("training.log_every=0", "0 is too small (at least 1)")]
    [InlineData("optimizer.lr=0", "0 must be greater than 0")]
    public void AValueOutOfRangeSaysOnWhichSide(string set, string problem) =>
        Assert.EndsWith(problem, OneErrorLine(ExitCodes.Usage, "train", "--set", set, "--print-config"));

    [Fact]
    public void AStepCountThatIsNoWholeNumberSaysWhatWasExpected() =>
        Assert.Equal("nativemtl train: --steps: expected a whole number up to 2147483647, got '1e12' (see nativemtl train --help)",
            OneErrorLine(ExitCodes.Usage, "train", "--steps", "1e12"));

    [Fact]
    public void AFolderGivenAsTheConfigSaysSo()
    {
        using var temp = new TempFolder();
        Assert.Equal($"nativemtl train: config {temp.Path}: is a folder, not a config file", OneErrorLine(ExitCodes.Usage, "train", "--config", temp.Path));
    }

    [Fact]
    public void AMisspeltOptionIsOneLineWithTheNearestName() =>
        Assert.Equal("nativemtl train: unknown option '--balancr'; did you mean --balancer? (see nativemtl train --help)",
            OneErrorLine(ExitCodes.Usage, "train", "--balancr", "ial"));

    [Fact]
    public void AMisspeltCommandIsOneLineWithTheNearestName() =>
        Assert.Equal("nativemtl: unknown command 'trian'; did you mean train? (see nativemtl --help)", OneErrorLine(ExitCodes.Usage, "trian"));

    [Fact]
    public void BenchJsonWhereNoFileCanBeWrittenIsOneLineBeforeAnyTiming()
    {
        var line = OneErrorLine(ExitCodes.Usage, "bench", "--device", "cpu", "--json", "/proc/x.json");
        Assert.StartsWith("nativemtl bench: --json /proc/x.json cannot be written (", line);
    }

    [Fact]
    public void ATaskOfTheOtherModelsDataIsRefusedByBenchWithTheKnownOnes()
    {
        var line = OneErrorLine(ExitCodes.Usage, "bench", "--model", "pose", "--tasks", "pose,seg");
        Assert.Equal("nativemtl bench: unknown task 'seg' for --model pose (known: pose, depth, normal, curvature, reconstruction)", line);
    }

    [Fact]
    public void EvalJsonIntoAMissingFolderIsRefusedBeforeTheEvaluation()
    {
        using var temp = new TempFolder();
        Assert.Equal(0, Run("train", "--config", temp.Write("tiny.yaml", TinyConfig), "--out", temp["run"], "--steps", "2").Code);
        var json = Path.Combine(temp.Path, "missing", "eval.json");
        var (code, output, error) = Run("eval", "--run", temp["run"], "--json", json);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal($"nativemtl eval: --json {json} cannot be written: its folder {Path.GetDirectoryName(json)} does not exist", Assert.Single(Lines(error)));
        Assert.Equal("", output);
    }
}
