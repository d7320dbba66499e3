using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NativeMtl.Host;
using NativeMtl.Host.Training;
using static NativeMtl.Tests.HostLayer.TrainTestKit;

namespace NativeMtl.Tests.HostLayer;

/// <summary>A run folder has one writer, holds one run, and can always be continued: after a death before the first
/// checkpoint, a kill during a checkpoint write, a corrupt newest checkpoint, or to train it longer.</summary>
public class RunFolderTests
{
    [Fact]
    public void ASecondTrainIntoAFolderInUseIsRefusedNamingTheHolder()
    {
        using var temp = new TempFolder();
        using (RunLock.Acquire(temp["run"], "train"))
        {
            var (code, _, error) = Run("train", "--config", temp.Write("tiny.yaml", TinyConfig), "--out", temp["run"]);
            Assert.Equal(ExitCodes.InvalidInput, code);
            Assert.Matches($@"^nativemtl train: {temp["run"]} is in use by nativemtl train \(pid {Environment.ProcessId} on .+, started .+ UTC\); a run folder takes one writer at a time",
                Assert.Single(Lines(error)));
        }
        Assert.Equal(0, Run("train", "--config", temp["tiny.yaml"], "--out", temp["run"], "--steps", "2").Code);
    }

    [Fact]
    public void ASecondResumeOfAFolderInUseIsRefusedAndChangesNothing()
    {
        using var temp = new TempFolder();
        Assert.Equal(0, Run("train", "--config", temp.Write("tiny.yaml", TinyConfig), "--out", temp["run"], "--stop-at", "2").Code);
        var before = temp.Files().ToDictionary(f => f, f => File.ReadAllBytes(Path.Combine(temp.Path, f)));
        using (RunLock.Acquire(temp["run"], "train --resume"))
        {
            var (code, _, error) = Run("train", "--resume", temp["run"]);
            Assert.Equal(ExitCodes.InvalidInput, code);
            Assert.Contains("is in use by nativemtl train --resume (pid", Assert.Single(Lines(error)));
        }
        Assert.All(before.Where(f => !f.Key.StartsWith("run/.lock", StringComparison.Ordinal)), f => Assert.Equal(f.Value, File.ReadAllBytes(Path.Combine(temp.Path, f.Key))));
    }

    [Fact]
    public void ALockIsFreeAgainOnceItsHolderLetsGo()
    {
        using var temp = new TempFolder();
        RunLock.Acquire(temp["run"], "train").Dispose();
        using var again = RunLock.Acquire(temp["run"], "train --resume");
        Assert.StartsWith("nativemtl train --resume (pid", File.ReadAllText(RunLock.OwnerPath(temp["run"])));
    }

    /// <summary>The lock is the kernel's (flock), so a holder killed with SIGKILL leaves none behind: no stale lock
    /// to clear by hand. A shell that takes the lock with util-linux's flock(1) and becomes sleep plays the holder.</summary>
    [SkippableFact]
    public void AHolderKilledWithSigkillLeavesNoLock()
    {
        Skip.IfNot(File.Exists("/usr/bin/flock"), "util-linux's flock is not installed");
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp["run"]);
        using var holder = System.Diagnostics.Process.Start("/bin/sh", ["-c", $"exec 9>'{RunLock.LockPath(temp["run"])}' && /usr/bin/flock 9 && exec sleep 60"]);
        var deadline = DateTime.UtcNow.AddSeconds(10);
        while (!File.Exists(RunLock.LockPath(temp["run"])) && DateTime.UtcNow < deadline) Thread.Sleep(20);
        Thread.Sleep(200);
        var refused = Run("train", "--config", temp.Write("tiny.yaml", TinyConfig), "--out", temp["run"], "--steps", "2");
        Assert.Equal(ExitCodes.InvalidInput, refused.Code);
        Assert.Contains("is in use by another process", refused.Error);

        holder.Kill();
        holder.WaitForExit();
        var after = Run("train", "--config", temp["tiny.yaml"], "--out", temp["run"], "--steps", "2");
        Assert.True(after.Code == 0, after.Error);
    }

    [Fact]
    public void AFolderHoldingSomethingElseThanARunIsRefused()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp["run"]);
        File.WriteAllText(Path.Combine(temp["run"], "metrics.jsonl"), "{\"type\":\"train\",\"step\":1}\n");
        var (code, _, error) = Run("train", "--config", temp.Write("tiny.yaml", TinyConfig), "--out", temp["run"]);
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Equal($"nativemtl train: --out {temp["run"]} is not empty (metrics.jsonl) and is not a run folder; choose a new or empty folder", Assert.Single(Lines(error)));
        Assert.Equal("{\"type\":\"train\",\"step\":1}\n", File.ReadAllText(Path.Combine(temp["run"], "metrics.jsonl")));
    }

    [Fact]
    public void AnEmptyFolderTakesARun()
    {
        using var temp = new TempFolder();
        Directory.CreateDirectory(temp["run"]);
        Assert.Equal(0, Run("train", "--config", temp.Write("tiny.yaml", TinyConfig), "--out", temp["run"], "--steps", "2").Code);
    }

    [Fact]
    public void ARunThatDiedBeforeItsFirstCheckpointResumesFromStepZeroAndEndsAsAFreshRun()
    {
        using var temp = new TempFolder();
        var config = temp.Write("tiny.yaml", TinyConfig);
        Assert.Equal(0, Run("train", "--config", config, "--out", temp["whole"]).Code);
        // What a kill at step 1 leaves: the config, a started log, no checkpoint.
        Assert.Equal(0, Run("train", "--config", config, "--out", temp["died"], "--stop-at", "2").Code);
        Directory.Delete(Path.Combine(temp["died"], "checkpoints"), recursive: true);

        var (code, output, _) = Run("train", "--resume", temp["died"]);
        Assert.Equal(0, code);
        Assert.Contains($"{temp["died"]} has no checkpoint: it stopped before its first; starting it again from step 0 with its config", output);
        AssertSameTensors(Path.Combine(temp["whole"], "model.safetensors"), Path.Combine(temp["died"], "model.safetensors"));
        Assert.Equal(File.ReadAllLines(Path.Combine(temp["whole"], "metrics.jsonl")).Select(WithoutTimes), File.ReadAllLines(Path.Combine(temp["died"], "metrics.jsonl")).Select(WithoutTimes));
    }

    [Fact]
    public void ResumingRemovesTheTemporaryFilesOfAWriteThatWasKilled()
    {
        using var temp = new TempFolder();
        Assert.Equal(0, Run("train", "--config", temp.Write("tiny.yaml", TinyConfig), "--out", temp["run"], "--stop-at", "2").Code);
        var orphans = new[] { Path.Combine(temp["run"], "checkpoints", ".step-000004.safetensors.0f3a.tmp"), Path.Combine(temp["run"], ".final_metrics.json.77c1.tmp") };
        foreach (var orphan in orphans) File.WriteAllText(orphan, "half");
        Assert.Equal(0, Run("train", "--resume", temp["run"]).Code);
        Assert.All(orphans, orphan => Assert.False(File.Exists(orphan), orphan));
    }

    [Fact]
    public void ACorruptNewestCheckpointFallsBackToTheOneBeforeAndSaysSo()
    {
        using var temp = new TempFolder();
        var config = temp.Write("tiny.yaml", TinyConfig);
        Assert.Equal(0, Run("train", "--config", config, "--out", temp["whole"]).Code);
        Assert.Equal(0, Run("train", "--config", config, "--out", temp["parts"], "--stop-at", "5").Code);
        var newest = Path.Combine(temp["parts"], "checkpoints", "step-000005.safetensors");
        File.WriteAllBytes(newest, File.ReadAllBytes(newest)[..100]);

        var (code, output, _) = Run("train", "--resume", temp["parts"]);
        Assert.Equal(0, code);
        Assert.Contains($"continuing from {Path.Combine(temp["parts"], "checkpoints", "step-000004.safetensors")}: step-000005.safetensors cannot be used (", output);
        Assert.Contains("resuming", output);
        AssertSameTensors(Path.Combine(temp["whole"], "model.safetensors"), Path.Combine(temp["parts"], "model.safetensors"));
    }

    [Theory]
    [InlineData("nativemtl.step", "99999", "its step 99999 is outside this run's 0 to 6 steps")]
    [InlineData("nativemtl.step", "-5", "its step -5 is outside this run's 0 to 6 steps")]
    [InlineData("nativemtl.data_position", "-100", "its data position -100 does not match its step 2 (1 batch(es) a step)")]
    [InlineData("nativemtl.data_position", "9223372036854775807", "its data position 9223372036854775807 does not match its step 2")]
    [InlineData("nativemtl.log.loss_steps", "3", "its running loss (3 steps, 3 tasks) does not fit this run's 3 tasks")]
    public void ACheckpointWhosePositionDoesNotFitTheRunIsRefused(string key, string value, string reason)
    {
        using var temp = new TempFolder();
        Assert.Equal(0, Run("train", "--config", temp.Write("tiny.yaml", TinyConfig), "--out", temp["run"], "--stop-at", "2").Code);
        var checkpoint = Path.Combine(temp["run"], "checkpoints", "step-000002.safetensors");
        SetMetadata(checkpoint, key, value);

        var (code, _, error) = Run("train", "--resume", temp["run"]);
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.StartsWith($"nativemtl train: --resume {temp["run"]}: no checkpoint can be used: step-000002.safetensors cannot be used ({reason}", Assert.Single(Lines(error)));
        Assert.False(File.Exists(Path.Combine(temp["run"], "final_metrics.json")));
    }

    [Fact]
    public void AFinishedRunExtendedWithStepsEndsWithTheBitsOfALongerRun()
    {
        using var temp = new TempFolder();
        var config = temp.Write("tiny.yaml", TinyConfig + "\nschedule:\n  name: constant\n");
        Assert.Equal(0, Run("train", "--config", config, "--out", temp["long"], "--steps", "8").Code);
        Assert.Equal(0, Run("train", "--config", config, "--out", temp["short"], "--steps", "6").Code);

        var (code, output, _) = Run("train", "--resume", temp["short"], "--steps", "8");
        Assert.Equal(0, code);
        Assert.Contains("resuming", output);
        AssertSameTensors(Path.Combine(temp["long"], "model.safetensors"), Path.Combine(temp["short"], "model.safetensors"));
        Assert.Contains("  steps: 8\n", File.ReadAllText(Path.Combine(temp["short"], "config.yaml")));
        Assert.Equal(8, JsonDocument.Parse(File.ReadAllText(Path.Combine(temp["short"], "final_metrics.json"))).RootElement.GetProperty("step").GetInt32());
    }

    [Fact]
    public void ExtendingARunToNoMoreStepsThanItHasIsRefused()
    {
        using var temp = new TempFolder();
        Assert.Equal(0, Run("train", "--config", temp.Write("tiny.yaml", TinyConfig), "--out", temp["run"]).Code);
        var (code, _, error) = Run("train", "--resume", temp["run"], "--steps", "6");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal("nativemtl train: --steps 6: the run is at step 6 already; extending it needs more steps than that", Assert.Single(Lines(error)));
    }

    [Fact]
    public void TheFirstLossLoggedAfterResumingFromAnUnloggedStepAveragesTheSameStepsAsTheWholeRun()
    {
        using var temp = new TempFolder();
        var config = temp.Write("tiny.yaml", TinyConfig);
        Assert.Equal(0, Run("train", "--config", config, "--out", temp["whole"]).Code);
        // log_every 2: step 3 is not logged, so the line at step 4 must average steps 3 and 4 across the resume.
        Assert.Equal(0, Run("train", "--config", config, "--out", temp["parts"], "--stop-at", "3").Code);
        Assert.Equal(0, Run("train", "--resume", temp["parts"]).Code);
        Assert.Equal(File.ReadAllLines(Path.Combine(temp["whole"], "metrics.jsonl")).Select(WithoutTimes), File.ReadAllLines(Path.Combine(temp["parts"], "metrics.jsonl")).Select(WithoutTimes));
    }

    /// <summary>A metrics line without what depends on the clock (images per second).</summary>
    private static string WithoutTimes(string line)
    {
        var node = JsonNode.Parse(line)!.AsObject();
        node.Remove("images_per_s");
        return node.ToJsonString();
    }

    /// <summary>Rewrites one metadata entry of a safetensors file in place of the old, keeping every tensor's bytes.</summary>
    private static void SetMetadata(string path, string key, string value)
    {
        var bytes = File.ReadAllBytes(path);
        int length = (int)BitConverter.ToInt64(bytes, 0);
        var header = JsonNode.Parse(bytes.AsSpan(8, length))!.AsObject();
        header["__metadata__"]![key] = value;
        var text = Encoding.UTF8.GetBytes(header.ToJsonString());
        var padded = new byte[(text.Length + 7) / 8 * 8];
        Array.Fill(padded, (byte)' ');
        text.CopyTo(padded, 0);
        using var file = File.Create(path);
        file.Write(BitConverter.GetBytes((long)padded.Length));
        file.Write(padded);
        file.Write(bytes.AsSpan(8 + length));
    }
}
