using NativeMtl.Balancers;
using NativeMtl.Data;
using NativeMtl.Models;

namespace NativeMtl.Tests.Balancers;

/// <summary>The objective's deep-supervision losses (seed 001 §4.2): each stage head's prediction under the task's own
/// loss, times the weight, beside the auxiliary module of the same task.</summary>
public class DeepSupervisionLossTests
{
    private const int Height = 32, Width = 48;

    [Fact]
    public void EachStageLossIsTheWeightTimesTheTasksLossOfThatHeadsPrediction()
    {
        DenseTask[] tasks = [DenseTask.Create("seg", TaskRole.Main, SceneClasses.Count), DenseTask.Create("depth", TaskRole.Auxiliary, SceneClasses.Count)];
        using var model = new HardSharingModel(new ArchitectureOptions
        {
            Tasks = tasks.Select(t => t.Spec).ToList(),
            EncoderOptions = new EncoderOptions { Widths = [4, 8, 8], Blocks = [1, 1, 1] },
            DeepSupervision = new DeepSupervisionOptions { Weight = 0.25 },
            Auxiliary = new AuxiliaryOptions { Tasks = ["depth"], Channels = 4 },
            Seed = 3,
        });
        using var loader = new BatchLoader(new SyntheticScenes(seed: 5, height: Height, width: Width, count: 2), new BatchLoaderOptions { BatchSize = 2, Workers = 1 });
        using var batch = loader.Next()!;
        using var scope = DisposeScope.Enter();
        var losses = new DenseTaskObjective(model, tasks) { Batch = batch }.Evaluate(false, false).AuxiliaryModuleLosses;
        Assert.Equal(["depth", "deep_supervision.seg.0", "deep_supervision.seg.1", "deep_supervision.seg.2",
            "deep_supervision.depth.0", "deep_supervision.depth.1", "deep_supervision.depth.2"], losses.Keys);

        // By hand, from each head's prediction at the input's size: 0.25 × cross-entropy over the labelled pixels,
        // 0.25 × |prediction − depth| over the pixels with a depth.
        var stages = model.Encoder.Forward(batch.Image).Stages;
        float[] Prediction(string task, int stage) =>
            F.UpsampleBilinear2d(model.DeepSupervision!.Head(task, stage).Forward(stages[stage]), Height, Width).ToArray<float>();
        var (labels, depth) = (batch.Labels.ToArray<int>(), batch.Depth.ToArray<float>());
        int classes = SceneClasses.Count, pixels = Height * Width;
        for (int s = 0; s < 3; s++)
        {
            var logits = Prediction("seg", s);
            double sum = 0;
            int count = 0;
            for (int i = 0; i < labels.Length; i++)
            {
                if (labels[i] < 0) continue;
                int n = i / pixels, p = i % pixels;
                double LogitOf(int c) => logits[(n * classes + c) * pixels + p];
                double max = Enumerable.Range(0, classes).Max(LogitOf);
                sum += max + Math.Log(Enumerable.Range(0, classes).Sum(c => Math.Exp(LogitOf(c) - max))) - LogitOf(labels[i]);
                count++;
            }
            Assert.Equal(0.25 * sum / count, losses[$"deep_supervision.seg.{s}"].Item(), 1e-5);

            var predicted = Prediction("depth", s);
            var valid = Enumerable.Range(0, depth.Length).Where(i => depth[i] > 0).ToList();
            Assert.Equal(0.25 * valid.Average(i => Math.Abs(predicted[i] - depth[i])), losses[$"deep_supervision.depth.{s}"].Item(), 1e-5);
        }
        Assert.True(labels.Count(l => l >= 0) > pixels, "the scenes should have labelled pixels");
    }
}
