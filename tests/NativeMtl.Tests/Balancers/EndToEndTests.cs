using NativeMtl.Balancers;
using NativeMtl.Data;
using NativeMtl.Kernels;
using NativeMtl.Models;
using NativeMtl.Raw;

namespace NativeMtl.Tests.Balancers;

/// <summary>Every balancer trains the small hard-sharing net on synthetic scenes for a few seeded steps:
/// segmentation main, depth and normals auxiliary.</summary>
public class EndToEndTests
{
    public static TheoryData<string> Balancers => new(BalancerRegistry.Names);

    [Theory]
    [MemberData(nameof(Balancers))]
    public void TrainsWithoutNaNAndReportsFiniteWeights(string name)
    {
        const int steps = 6;
        var scenes = new SyntheticScenes(seed: 3, height: 32, width: 40, count: 64);
        using var loader = new BatchLoader(scenes, new BatchLoaderOptions { BatchSize = 2, Epochs = null, Workers = 1 });
        DenseTask[] tasks =
        [
            DenseTask.Create("seg", TaskRole.Main, SceneClasses.Count),
            DenseTask.Create("depth", TaskRole.Auxiliary, SceneClasses.Count),
            DenseTask.Create("normal", TaskRole.Auxiliary, SceneClasses.Count),
        ];
        using var model = ArchitectureRegistry.Create("hps", new ArchitectureOptions
        {
            Tasks = tasks.Select(t => t.Spec).ToList(),
            EncoderOptions = new EncoderOptions { Widths = [8, 16, 16], Blocks = [1, 1, 1] },
            Seed = 7,
        });
        var objective = new DenseTaskObjective(model, tasks, SceneClasses.Count);
        using var step = new MultiTaskStep(model, tasks.Select(t => new BalancedTask(t.Name, t.Role)).ToList(), BalancerRegistry.Create(name),
            groups => new Sgd(groups, new SgdOptions(0.01, Momentum: 0.9)), stepsPerEpoch: 2, totalSteps: steps, objective.ClassCounts);
        for (int i = 0; i < steps; i++)
        {
            using var scope = DisposeScope.Enter();
            using var batch = loader.Next()!;
            using var ahead = loader.Next()!;
            objective.Batch = batch;
            objective.LookAheadBatch = ahead;
            var result = step.Run(objective);
            Assert.All(result.Losses.ToArray<float>(), l => Assert.True(float.IsFinite(l), $"{name} step {i}: loss {l}"));
            Assert.All(result.Weights.ToArray<float>(), w => Assert.True(float.IsFinite(w), $"{name} step {i}: weight {w}"));
        }
        var parameters = Ops.Reduce(ReduceOp.Sum, Ops.Unary(UnaryOp.Abs, model.ParameterGroups.Encoder.Values), []).Item();
        Assert.True(double.IsFinite(parameters));
    }
}
