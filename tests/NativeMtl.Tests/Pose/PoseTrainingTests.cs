using System.Text.Json;
using NativeMtl.Tests.HostLayer;

namespace NativeMtl.Tests.Pose;

/// <summary>`nativemtl train` on the pose data, end to end.</summary>
public class PoseTrainingTests
{
    private const string Config = """
        seed: 3
        device: cpu
        data:
          dataset: pose
          height: 32
          width: 32
          train_size: 240
          val_size: 4
          workers: 1
        tasks:
          pose: main
          depth: auxiliary
          normal: auxiliary
          curvature: auxiliary
          reconstruction: auxiliary
        model:
          widths: [8, 16, 16]
          blocks: [1, 1, 1]
        balancer:
          name: equal
        optimizer:
          name: adam
          lr: 0.003
        training:
          steps: 200
          batch_size: 4
          log_every: 50
          val_every: 0
          checkpoint_every: 200
        """;

    /// <summary>Every task's training loss over the last 50 steps is below its loss over the first 50, and the last
    /// validation reports the pose metrics.</summary>
    [Fact]
    public void AShortPoseTrainingLowersEveryLossAndReportsThePoseMetrics()
    {
        using var folder = new TempFolder();
        var (code, _, error) = TrainTestKit.Run("train", "--config", folder.Write("pose.yaml", Config), "--out", folder["run"]);
        Assert.True(code == 0, error);
        var logged = File.ReadLines(Path.Combine(folder["run"], "metrics.jsonl")).Select(l => JsonDocument.Parse(l).RootElement)
            .Where(e => e.GetProperty("type").GetString() == "train").Select(e => e.GetProperty("loss")).ToList();
        foreach (var task in new[] { "pose", "depth", "normal", "curvature", "reconstruction" })
        {
            double first = logged[0].GetProperty(task).GetDouble(), last = logged[^1].GetProperty(task).GetDouble();
            Assert.True(last < first, $"{task}: training loss {first} over the first steps, {last} over the last");
        }
        using var final = JsonDocument.Parse(File.ReadAllText(Path.Combine(folder["run"], "final_metrics.json")));
        var pose = final.RootElement.GetProperty("metrics").GetProperty("pose");
        Assert.All(new[] { "add_s_01d", "rotation_error", "translation_error", "pnp_misses", "loss" }, m => Assert.True(pose.TryGetProperty(m, out _), m));
    }
}

/// <summary>`nativemtl bench --model pose`: the pose step, a single task included (the no-auxiliary-task baseline).</summary>
public class PoseBenchTests
{
    [Fact]
    public void BenchTimesThePoseStepWithOneTaskOrAll()
    {
        using var folder = new TempFolder();
        var (code, output, error) = TrainTestKit.Run("bench", "--model", "pose", "--tasks", "pose", "--balancers", "equal", "--steps", "1", "--warmup", "0",
            "--batch", "2", "--json", folder["one.json"]);
        Assert.True(code == 0, error);
        using var json = System.Text.Json.JsonDocument.Parse(File.ReadAllText(folder["one.json"]));
        Assert.Equal(["pose"], json.RootElement.GetProperty("model").GetProperty("tasks").EnumerateArray().Select(t => t.GetString()));
        Assert.Contains("equal", output);
    }
}
