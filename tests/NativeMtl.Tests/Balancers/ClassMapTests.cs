using NativeMtl.Balancers;
using NativeMtl.Data;
using NativeMtl.Models;

namespace NativeMtl.Tests.Balancers;

/// <summary>The classes of the class-wise balancer come from the auxiliary task itself: depth bins, bins of the
/// normals' direction, or segmentation labels.</summary>
public class ClassMapTests
{
    [Fact]
    public void NormalsFallIntoBinsOfEqualSolidAngleAroundUp()
    {
        using var scope = DisposeScope.Enter();
        // Up (camera −y), horizontal, down, twice up, slightly below horizontal, missing.
        double[,] n = { { 0, -1, 0 }, { 1, 0, 0 }, { 0, 1, 0 }, { 0, -2, 0 }, { 0.9, 0.1, 0 }, { 0, 0, 0 } };
        var values = new double[3 * 6];
        for (int p = 0; p < 6; p++)
            for (int c = 0; c < 3; c++) values[c * 6 + p] = n[p, c];
        var classes = NormalBins.Classify(Tensors.FromArray(values, 1, 3, 1, 6), 4).ToArray<int>();
        // cos θ = −n_y/|n|; class ⌊4·(1 − cos θ)/2⌋: 1 → 0, 0 → 2, −1 → 3 (the last bin), −0.11 → 2.
        Assert.Equal([0, 2, 3, 0, 2, -1], classes);
    }

    [Fact]
    public void DepthsFallIntoBinsOfEqualWidthInLogDepth()
    {
        using var scope = DisposeScope.Enter();
        // From 0.5 m to 8 m in 4 bins: edges at 1, 2 and 4 m; beyond the range the end bins; missing depth −1.
        var depths = Tensors.FromArray([0.7, 1.5, 3, 5, 20, 0.1, 0, -1], 1, 1, 1, 8);
        Assert.Equal([0, 1, 2, 3, 3, 0, -1, -1], DepthBins.ClassifyLog(depths, 4, near: 0.5, far: 8).ToArray<int>());
    }

    private static (MtlModel Model, DenseBatch Batch, BatchLoader Loader) Setup(params DenseTask[] tasks)
    {
        var model = ArchitectureRegistry.Create("hps", new ArchitectureOptions
        {
            Tasks = tasks.Select(t => t.Spec).ToList(),
            EncoderOptions = new EncoderOptions { Widths = [4, 8, 8], Blocks = [1, 1, 1] },
            Seed = 3,
        });
        var loader = new BatchLoader(new SyntheticScenes(seed: 5, height: 32, width: 48, count: 2), new BatchLoaderOptions { BatchSize = 2, Workers = 1 });
        return (model, loader.Next()!, loader);
    }

    [Fact]
    public void ADepthTaskSplitsIntoDepthBinsNotSegmentationClasses()
    {
        DenseTask[] tasks = [DenseTask.Create("seg", TaskRole.Main, SceneClasses.Count), DenseTask.Create("depth", TaskRole.Auxiliary, SceneClasses.Count)];
        var (model, batch, loader) = Setup(tasks);
        using var _ = model;
        using var __ = loader;
        using var ___ = batch;
        using var scope = DisposeScope.Enter();
        var objective = new DenseTaskObjective(model, tasks, bins: 5) { Batch = batch };
        Assert.Equal(new Dictionary<string, int> { ["depth"] = 5 }, objective.ClassCounts);

        var perClass = objective.Evaluate(false, true).PerClassLosses["depth"].ToArray<float>();
        // By hand: the prediction's |error| averaged per depth bin ⌊5·ln(d/0.5)/ln 20⌋ (clamped to 0…4) over valid pixels.
        var prediction = model.Forward(batch.Image).Predictions["depth"].ToArray<float>();
        var depth = batch.Depth.ToArray<float>();
        var sums = new double[5];
        var counts = new double[5];
        for (int i = 0; i < depth.Length; i++)
        {
            if (depth[i] <= 0) continue;
            int c = (int)Math.Clamp(Math.Floor(5 * Math.Log(depth[i] / 0.5) / Math.Log(20)), 0, 4);
            sums[c] += Math.Abs(prediction[i] - depth[i]);
            counts[c]++;
        }
        for (int c = 0; c < 5; c++)
            Assert.True(Math.Abs(perClass[c] - sums[c] / Math.Max(counts[c], 1)) <= 1e-5 * Math.Max(1, perClass[c]), $"bin {c}: {perClass[c]} against {sums[c] / Math.Max(counts[c], 1)}");
        Assert.True(counts.Count(n => n > 0) >= 3, "the scenes should span several depth bins");
    }

    [Fact]
    public void ASegmentationTaskSplitsIntoItsLabelsAndANormalTaskIntoItsBins()
    {
        DenseTask[] tasks = [DenseTask.Create("depth", TaskRole.Main, SceneClasses.Count), DenseTask.Create("seg", TaskRole.Auxiliary, SceneClasses.Count),
            DenseTask.Create("normal", TaskRole.Auxiliary, SceneClasses.Count), DenseTask.Create("curvature", TaskRole.Auxiliary, SceneClasses.Count)];
        var (model, batch, loader) = Setup(tasks);
        using var _ = model;
        using var __ = loader;
        using var ___ = batch;
        var objective = new DenseTaskObjective(model, tasks, bins: 6);
        // Curvature has no classes, so a class-wise run with it as an auxiliary task is refused.
        Assert.Equal(new Dictionary<string, int> { ["seg"] = SceneClasses.Count, ["normal"] = 6 }, objective.ClassCounts);
    }
}
