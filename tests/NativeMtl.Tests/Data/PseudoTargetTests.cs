using NativeMtl.Balancers;
using NativeMtl.Data;
using NativeMtl.Models;
using NativeMtl.Tests.HostLayer;

namespace NativeMtl.Tests.Data;

/// <summary>Seed 002's pseudo-auxiliary tasks: pure noise and corrupted labels, fixed per sample.</summary>
public class PseudoTargetTests
{
    [Fact]
    public void NoiseIsStandardNormalTheSameForASampleAndDifferentAcrossSamples()
    {
        var noise = PseudoTargets.Noise(index: 7, pixels: 100_000);
        double mean = noise.Average(v => (double)v), std = Math.Sqrt(noise.Average(v => (v - mean) * (v - mean)));
        Assert.InRange(mean, -0.01, 0.01);
        Assert.InRange(std, 0.99, 1.01);
        Assert.Equal(noise, PseudoTargets.Noise(7, 100_000));
        Assert.NotEqual(noise[..10], PseudoTargets.Noise(8, 10));
    }

    /// <summary>At rate 0.3 over 13 classes a pixel changes with probability 0.3 · 12/13 ≈ 0.277; rate 0 changes none;
    /// unlabelled pixels (−1) stay so.</summary>
    [Fact]
    public void CorruptedLabelsChangeTheirShareAndLeaveUnlabelledPixels()
    {
        var labels = Enumerable.Range(0, 100_000).Select(p => p % 50 == 0 ? -1 : p % 13).ToArray();
        var corrupted = PseudoTargets.CorruptLabels(labels, index: 3, classes: 13, rate: 0.3);
        double changed = labels.Zip(corrupted).Count(p => p.First != p.Second) / (double)labels.Length;
        Assert.InRange(changed, 0.3 * 12 / 13 * 0.98 - 0.01, 0.3 * 12 / 13 * 0.98 + 0.01);
        Assert.All(labels.Zip(corrupted).Where(p => p.First == -1), p => Assert.Equal(-1, p.Second));
        Assert.All(corrupted, c => Assert.InRange(c, -1, 12));
        Assert.Equal(labels, PseudoTargets.CorruptLabels(labels, 3, 13, rate: 0));
    }

    [Fact]
    public void TheNoiseTasksTargetIsEachSamplesNoise()
    {
        using var scope = DisposeScope.Enter();
        var scenes = new SyntheticScenes(seed: 1, height: 8, width: 8, count: 4);
        using var loader = new BatchLoader(scenes, new BatchLoaderOptions { BatchSize = 2, Shuffle = true, Seed = 3 });
        using var batch = loader.Next()!;
        var target = DenseTask.Create("noise", TaskRole.Auxiliary, SceneClasses.Count).Target(batch);
        Assert.Equal(new Shape(2, 1, 8, 8), target.Shape);
        Assert.Equal(batch.Samples.SelectMany(s => PseudoTargets.Noise(s.Index, 64)).ToArray(), target.ToArray<float>());
    }

    /// <summary>Seed 002 Table IV's setting in small: the main task beside two pseudo-tasks, with IAL.</summary>
    [Fact]
    public void ARunTrainsBesideTwoPseudoTasks()
    {
        using var folder = new TempFolder();
        var (code, _, error) = TrainTestKit.Run("train", "--config", folder.Write("tiny.yaml", TrainTestKit.TinyConfig), "--out", folder["run"],
            "--set", "tasks={seg: main, noise: auxiliary, seg_noisy: auxiliary}", "--balancer", "ial", "--set", "data.label_noise=0.5");
        Assert.True(code == 0, error);
    }
}
