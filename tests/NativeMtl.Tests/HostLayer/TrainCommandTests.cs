using System.Text.Json;
using System.Text.RegularExpressions;
using NativeMtl.Data;
using NativeMtl.Host;
using NativeMtl.Host.Commands;
using static NativeMtl.Tests.HostLayer.TrainTestKit;

namespace NativeMtl.Tests.HostLayer;

/// <summary>End-to-end runs of <c>nativemtl train</c> on the tiny config, in-process, on the CPU.</summary>
public class TrainCommandTests
{
    [Fact]
    public void ARunStoppedMidwayAndResumedEndsWithTheBitsOfAnUninterruptedRun()
    {
        using var temp = new TempFolder();
        var config = temp.Write("tiny.yaml", TinyConfig);
        Assert.Equal(0, Run("train", "--config", config, "--out", temp["whole"]).Code);

        var stopped = Run("train", "--config", config, "--out", temp["parts"], "--stop-at", "3");
        Assert.Equal(ExitCodes.Success, stopped.Code);
        Assert.Contains($"stopped as asked (--stop-at 3) after step 3 of 6; saved {Path.Combine(temp["parts"], "checkpoints", "step-000003.safetensors")}", stopped.Output);
        Assert.False(File.Exists(Path.Combine(temp["parts"], "model.safetensors")));
        var resumed = Run("train", "--resume", temp["parts"]);
        Assert.Equal(0, resumed.Code);
        Assert.Contains("resuming", resumed.Output);

        AssertSameTensors(Path.Combine(temp["whole"], "model.safetensors"), Path.Combine(temp["parts"], "model.safetensors"));
        AssertSameTensors(Path.Combine(temp["whole"], "checkpoints", "step-000006.safetensors"), Path.Combine(temp["parts"], "checkpoints", "step-000006.safetensors"));
        Assert.Equal(File.ReadAllText(Path.Combine(temp["whole"], "final_metrics.json")), File.ReadAllText(Path.Combine(temp["parts"], "final_metrics.json")));
    }

    public static TheoryData<string> BalancerNames => new(global::NativeMtl.Balancers.BalancerRegistry.Names);

    /// <summary>Every balancer's state survives a checkpoint: learned parameters (uncertainty, IAL), random streams
    /// (RLW), epoch and period statistics (DWA, LSB; eight samples make four batches, so the stop at step 5 falls in
    /// the second epoch), Adam moments (Auto-λ, class-wise), and Auto-λ's second batch per step.</summary>
    [Theory]
    [MemberData(nameof(BalancerNames))]
    public void EveryBalancerResumesExactly(string balancer)
    {
        using var temp = new TempFolder();
        var config = temp.Write("tiny.yaml", TinyConfig + "\nbalancer: " + balancer + "\n");
        Assert.Equal(0, Run("train", "--config", config, "--out", temp["whole"], "--steps", "8", "--set", "data.train_size=8").Code);
        Assert.Equal(0, Run("train", "--config", config, "--out", temp["parts"], "--steps", "8", "--set", "data.train_size=8", "--stop-at", "5").Code);
        Assert.Equal(0, Run("train", "--resume", temp["parts"]).Code);
        AssertSameTensors(Path.Combine(temp["whole"], "checkpoints", "step-000008.safetensors"), Path.Combine(temp["parts"], "checkpoints", "step-000008.safetensors"));
    }

    /// <summary>Nine samples in batches of two: four batches an epoch and one sample dropped, so the stop at step 5 falls
    /// after an epoch boundary the data does not divide evenly (as NYUv2's 795 samples in batches of 8). With each
    /// optimizer, Adam's and AdamW's two moments included.</summary>
    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    [InlineData("adamw")]
    public void AResumeAcrossAnEpochWithAPartialLastBatchIsExactWithEveryOptimizer(string optimizer)
    {
        using var temp = new TempFolder();
        var config = temp.Write("tiny.yaml", TinyConfig.Replace("  name: sgd\n  lr: 0.02\n", $"  name: {optimizer}\n  lr: 0.001\n"));
        string[] common = ["--config", config, "--steps", "8", "--set", "data.train_size=9", "--set", "balancer.name=equal"];
        Assert.Equal(0, Run(["train", .. common, "--out", temp["whole"]]).Code);
        Assert.Equal(0, Run(["train", .. common, "--out", temp["parts"], "--stop-at", "5"]).Code);
        Assert.Equal(0, Run("train", "--resume", temp["parts"]).Code);
        Assert.Contains($"  name: {optimizer}\n", File.ReadAllText(Path.Combine(temp["parts"], "config.yaml")));
        AssertSameTensors(Path.Combine(temp["whole"], "checkpoints", "step-000008.safetensors"), Path.Combine(temp["parts"], "checkpoints", "step-000008.safetensors"));
    }

    [Fact]
    public void CancellingMidRunSavesACheckpointFromWhichTheRunContinuesExactly()
    {
        using var temp = new TempFolder();
        var config = temp.Write("tiny.yaml", TinyConfig);
        Assert.Equal(0, Run("train", "--config", config, "--out", temp["whole"], "--set", "training.checkpoint_every=100").Code);

        // Cancels as Ctrl-C does, while the run reports step 2 (between steps 2 and 3, where no periodic checkpoint falls).
        using var stop = new CancellationTokenSource();
        var output = new CancelOnText("step 2/6", stop);
        var error = new StringWriter();
        int code = TrainCommand.Run(new TrainArguments { Config = config, Out = temp["parts"], Set = ["training.checkpoint_every=100"] }, output, error, stop.Token);
        Assert.Equal(ExitCodes.Interrupted, code);
        var checkpoint = Path.Combine(temp["parts"], "checkpoints", "step-000002.safetensors");
        Assert.Equal($"nativemtl train: interrupted after step 2 of 6; saved {checkpoint}; continue with: nativemtl train --resume {temp["parts"]}", Assert.Single(Lines(error.ToString())));
        Assert.True(File.Exists(checkpoint));

        Assert.Equal(0, Run("train", "--resume", temp["parts"]).Code);
        AssertSameTensors(Path.Combine(temp["whole"], "model.safetensors"), Path.Combine(temp["parts"], "model.safetensors"));
    }

    /// <summary>An output that cancels a token when a given text is written to it.</summary>
    private sealed class CancelOnText(string text, CancellationTokenSource source) : StringWriter
    {
        public override void WriteLine(string? value)
        {
            base.WriteLine(value);
            if (value?.Contains(text, StringComparison.Ordinal) == true) source.Cancel();
        }
    }

    [Fact]
    public void ARunFolderHoldsTheResolvedConfigMetricsCheckpointsWeightsFinalMetricsAndReport()
    {
        using var temp = new TempFolder();
        var (code, output, _) = Run("train", "--config", temp.Write("tiny.yaml", TinyConfig), "--out", temp["run"], "--balancer", "equal", "--seed", "9");
        Assert.Equal(0, code);
        Assert.Equal([".lock", "checkpoints/step-000004.safetensors", "checkpoints/step-000006.safetensors", "config.yaml", "final_metrics.json", "metrics.jsonl", "model.safetensors", "report.html", "run.json"],
            Directory.EnumerateFiles(temp["run"], "*", SearchOption.AllDirectories).Select(f => Path.GetRelativePath(temp["run"], f)).Order(StringComparer.Ordinal));
        var config = File.ReadAllText(Path.Combine(temp["run"], "config.yaml"));
        Assert.Contains("seed: 9\n", config);
        Assert.Contains("balancer:\n  name: equal\n", config);
        Assert.Contains($"out: {temp["run"]}\n", config);

        var lines = File.ReadAllLines(Path.Combine(temp["run"], "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement).ToList();
        Assert.Equal(["train 2", "val 3", "train 4", "train 6", "val 6"], lines.Select(l => $"{l.GetProperty("type").GetString()} {l.GetProperty("step").GetInt32()}"));
        var logged = lines.First(l => l.GetProperty("type").GetString() == "train");
        Assert.Equal(["epoch", "images_per_s", "loss", "lr", "step", "type", "weight"], logged.EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(["depth", "normal", "seg"], logged.GetProperty("loss").EnumerateObject().Select(p => p.Name).Order());
        Assert.Equal(1.0, logged.GetProperty("weight").GetProperty("depth").GetDouble());
        Assert.Equal(1, logged.GetProperty("epoch").GetInt32());

        using var final = JsonDocument.Parse(File.ReadAllText(Path.Combine(temp["run"], "final_metrics.json")));
        Assert.Equal(6, final.RootElement.GetProperty("step").GetInt32());
        Assert.True(final.RootElement.GetProperty("metrics").GetProperty("seg").GetProperty("miou").GetDouble() is >= 0 and <= 1);
        Assert.Contains("mean_angle", output);
    }

    [Fact]
    public void ARunWithDeepSupervisionTrainsItsStageHeadsAndExportsWithoutThem()
    {
        using var temp = new TempFolder();
        var (code, _, error) = Run("train", "--config", temp.Write("tiny.yaml", TinyConfig), "--set", "model.deep_supervision={tasks: [seg, depth], weight: 0.1}", "--out", temp["run"]);
        Assert.True(code == 0, error);
        var (early, late) = (Tensors(Path.Combine(temp["run"], "checkpoints", "step-000004.safetensors")), Tensors(Path.Combine(temp["run"], "checkpoints", "step-000006.safetensors")));
        string[] heads = ["deep_supervision.seg.0.weight", "deep_supervision.seg.2.weight", "deep_supervision.depth.1.weight", "deep_supervision.depth.2.bias"];
        Assert.All(heads, h => Assert.False(early[h].AsSpan().SequenceEqual(late[h]), $"{h} did not move"));
        Assert.DoesNotContain(Tensors(Path.Combine(temp["run"], "model.safetensors")).Keys, k => k.StartsWith("deep_supervision.", StringComparison.Ordinal));
        using var final = JsonDocument.Parse(File.ReadAllText(Path.Combine(temp["run"], "final_metrics.json")));
        Assert.True(final.RootElement.GetProperty("metrics").GetProperty("seg").GetProperty("miou").GetDouble() is >= 0 and <= 1);
    }

    [Fact]
    public void AnMtanFormatFolderTrainsWithAugmentationAndValidates()
    {
        using var temp = new TempFolder();
        WriteMtanFolder(temp["nyu"], "train", 6, seed: 1);
        WriteMtanFolder(temp["nyu"], "val", 2, seed: 2);
        var (code, output, error) = Run("train", "--config", temp.Write("tiny.yaml", TinyConfig.Replace("  dataset: synthetic\n  height: 32\n  width: 40\n  train_size: 64\n  val_size: 4\n", "")),
            "--set", "data.dataset=mtan", "--set", $"data.path={temp["nyu"]}", "--set", "data.augment=true", "--steps", "4", "--out", temp["run"]);
        Assert.True(code == 0, error);
        Assert.Contains("miou", output);
        Assert.Contains("  dataset: mtan\n", File.ReadAllText(Path.Combine(temp["run"], "config.yaml")));
    }

    [Fact]
    public void TheCheckpointHoldsEverythingAResumeNeeds()
    {
        using var temp = new TempFolder();
        Assert.Equal(0, Run("train", "--config", temp.Write("tiny.yaml", TinyConfig), "--out", temp["run"], "--stop-at", "2").Code);
        var path = Path.Combine(temp["run"], "checkpoints", "step-000002.safetensors");
        var names = Tensors(path).Keys.ToList();
        Assert.Contains("encoder.layer1.0.conv1.weight", names);
        Assert.Contains("encoder.bn1.running_var", names);
        Assert.Contains("optimizer.sgd.encoder.momentum", names);
        Assert.Contains("balancer.auxilight.lambda", names);
        using var file = global::NativeMtl.Models.SafeTensorsFile.Open(path);
        Assert.Equal("2", file.Metadata["nativemtl.step"]);
        Assert.Equal("2", file.Metadata["optimizer.steps"]);
        Assert.Equal("2", file.Metadata["nativemtl.data_position"]);
        Assert.True(file.Metadata.ContainsKey("nativemtl.generator.model"));
        Assert.Equal(64, file.Metadata["nativemtl.config_sha256"].Length);
        Assert.Contains("balancer:\n  name: auxilight", file.Metadata["nativemtl.config"]);
    }

    [Fact]
    public void ResumingACompleteRunSaysSoAndChangesNothing()
    {
        using var temp = new TempFolder();
        Assert.Equal(0, Run("train", "--config", temp.Write("tiny.yaml", TinyConfig), "--out", temp["run"]).Code);
        var before = temp.Files().ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(temp.Path, f)));
        var (code, output, _) = Run("train", "--resume", temp["run"]);
        Assert.Equal(0, code);
        Assert.Contains("is complete (6 of 6 steps); nothing to continue", output);
        Assert.All(before, f => Assert.Equal(f.Value, File.ReadAllBytes(Path.Combine(temp.Path, f.Key))));
    }

    [Fact]
    public void ResumingARunThatHasEveryStepButNoFinalMetricsFinishesIt()
    {
        using var temp = new TempFolder();
        Assert.Equal(0, Run("train", "--config", temp.Write("tiny.yaml", TinyConfig), "--out", temp["run"]).Code);
        var final = Path.Combine(temp["run"], "final_metrics.json");
        var expected = File.ReadAllText(final);
        File.Delete(final);
        File.Delete(Path.Combine(temp["run"], "model.safetensors"));
        Assert.Equal(0, Run("train", "--resume", temp["run"]).Code);
        Assert.Equal(expected, File.ReadAllText(final));
        Assert.True(File.Exists(Path.Combine(temp["run"], "model.safetensors")));
    }

    [Fact]
    public void PrintConfigWritesTheResolvedYamlAndTrainsNothing()
    {
        using var temp = new TempFolder();
        var (code, printed, _) = Run("train", "--print-config", "--balancer", "ial", "--steps", "40", "--set", "optimizer.lr=0.01", "--out", temp["run"]);
        Assert.Equal(0, code);
        var output = Regex.Replace(printed, " *#.*$", "", RegexOptions.Multiline);
        Assert.Contains("balancer:\n  name: ial\n", output);
        Assert.Contains("  steps: 40\n  epochs: null\n", output);
        Assert.Contains("  lr: 0.01\n", output);
        Assert.False(Directory.Exists(temp["run"]));
    }

    [Fact]
    public void PrintConfigListsTheBalancersHyperparametersWithTheirDefaultsAndReadsBackToTheSameConfig()
    {
        using var temp = new TempFolder();
        var printed = Run("train", "--print-config", "--balancer", "auxilight").Output;
        Assert.Contains("  name: auxilight", printed);
        Assert.Matches(@"\n  beta: 0\.1 +# default\n", printed);
        Assert.Matches(@"\n  mode: exact +# default\n", printed);
        static string Uncommented(string yaml) => Regex.Replace(yaml, " *#.*$", "", RegexOptions.Multiline);
        Assert.Equal(Uncommented(printed), Uncommented(Run("train", "--print-config", "--config", temp.Write("printed.yaml", printed)).Output));
    }

    [Fact]
    public void TheReadmeShowsExactlyWhatPrintConfigPrints()
    {
        var readme = File.ReadAllText(Path.Combine(TrainTestKit.RepositoryRoot(), "README.md"));
        var block = Regex.Match(readme, "```yaml\n(seed: .*?)```", RegexOptions.Singleline).Groups[1].Value;
        Assert.Equal(Run("train", "--print-config").Output, block);
    }

    [Fact]
    public void TheLiveRowOfAMillionStepRunFitsAHundredColumnTerminal()
    {
        var row = global::NativeMtl.Host.Training.ProgressText.LiveRow(999_999, 1_000_000, 9_999, 123.456, 9_999.9);
        Assert.Equal("step 999999/1000000 · epoch 9999 · loss 123.456 · 9999.9 img/s", row);
        Assert.InRange(global::NativeMtl.Host.Training.LiveProgress.ColumnsBeforeRow + row.Length, 0, 100);
    }

    [Fact]
    public void TheHelpOfEachCommandExplainsItWithExamples()
    {
        foreach (var command in new[] { "train", "eval", "report" })
        {
            var (code, output, _) = Run(command, "--help");
            Assert.Equal(0, code);
            Assert.Contains("Examples:", output);
            Assert.Contains($"nativemtl {command}", output);
        }
        Assert.Contains("--resume", Run("train", "--help").Output);
    }
}
