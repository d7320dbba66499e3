using NativeMtl.Balancers;
using NativeMtl.Data;
using NativeMtl.Kernels;
using NativeMtl.Models;
using NativeMtl.Raw;

namespace NativeMtl.Tests.Balancers;

/// <summary>Forward mode on a whole network: the small hard-sharing net in Float64 on synthetic scenes, segmentation
/// with depth and normals, in training mode (batch norm on batch statistics).</summary>
public class ForwardModeTests
{
    private static readonly DenseTask[] Tasks =
    [
        DenseTask.Create("seg", TaskRole.Main, SceneClasses.Count),
        DenseTask.Create("depth", TaskRole.Auxiliary, SceneClasses.Count),
        DenseTask.Create("normal", TaskRole.Auxiliary, SceneClasses.Count),
    ];

    private static Tensor[] Losses(MtlModel model, DenseBatch batch)
    {
        var output = model.Forward(Ops.Cast(batch.Image, DType.Float64));
        return Tasks.Select(t =>
        {
            var target = t.Target(batch);
            return t.Loss.Forward(output.Predictions[t.Name], target.DType == DType.Int32 ? target : Ops.Cast(target, DType.Float64));
        }).ToArray();
    }

    [Fact]
    public void OneTangentPassGivesEveryTasksInnerProductWithTheMainGradient()
    {
        using var scope = DisposeScope.Enter();
        using var model = ArchitectureRegistry.Create("hps", new ArchitectureOptions
        {
            Tasks = Tasks.Select(t => t.Spec).ToList(),
            EncoderOptions = new EncoderOptions { Widths = [4, 8, 8], Blocks = [1, 1, 1] },
            Seed = 5,
            DType = DType.Float64,
        });
        using var loader = new BatchLoader(new SyntheticScenes(seed: 1, height: 32, width: 48, count: 2), new BatchLoaderOptions { BatchSize = 2, Workers = 1 });
        using var batch = loader.Next()!;
        var encoder = model.ParameterGroups.Encoder.Members.Select(m => m.Parameter.Value).ToArray();

        // Reverse mode: a backward pass per task.
        var losses = Losses(model, batch);
        var gradients = losses.Select(l => Autograd.Grad([l], encoder, retainGraph: true).SelectMany(g => g.ToArray<double>()).ToArray()).ToArray();
        var reverse = gradients.Select(g => g.Zip(gradients[0], (a, b) => a * b).Sum()).ToArray();

        // Forward mode: the encoder's parameters carry ∇L_0 as their tangent, and every loss's tangent is its inner product.
        int offset = 0;
        foreach (var p in encoder)
        {
            p.Tangent = Tensors.FromArray(gradients[0][offset..(offset + (int)p.Count)], p.Shape);
            offset += (int)p.Count;
        }
        double[] forward;
        using (GradMode.NoGrad()) forward = Losses(model, batch).Select(l => l.Tangent!.Item()).ToArray();
        foreach (var p in encoder) p.Tangent = null;

        for (int t = 0; t < Tasks.Length; t++)
            Assert.True(Math.Abs(forward[t] - reverse[t]) <= 1e-10 * Math.Abs(reverse[t]), $"{Tasks[t].Name}: forward {forward[t]:R}, reverse {reverse[t]:R}");
        Assert.True(reverse.Skip(1).All(r => r != 0));
    }
}

/// <summary>AuxiLight's forward-mode inner products against its exact ones, over a seeded run.</summary>
public class AuxiLightForwardModeTests
{
    private static double[] LambdaAfter(string mode, int steps)
    {
        DenseTask[] tasks =
        [
            DenseTask.Create("seg", TaskRole.Main, SceneClasses.Count),
            DenseTask.Create("depth", TaskRole.Auxiliary, SceneClasses.Count),
            DenseTask.Create("normal", TaskRole.Auxiliary, SceneClasses.Count),
            DenseTask.Create("curvature", TaskRole.Auxiliary, SceneClasses.Count),
        ];
        using var model = ArchitectureRegistry.Create("hps", new ArchitectureOptions
        {
            Tasks = tasks.Select(t => t.Spec).ToList(),
            EncoderOptions = new EncoderOptions { Widths = [8, 16, 16], Blocks = [1, 1, 1] },
            Seed = 7,
        });
        var scenes = new SyntheticScenes(seed: 3, height: 32, width: 40, count: 64);
        using var loader = new BatchLoader(scenes, new BatchLoaderOptions { BatchSize = 2, Epochs = null, Workers = 1 });
        var objective = new DenseTaskObjective(model, tasks, SceneClasses.Count);
        var options = new BalancerOptions(new Dictionary<string, object?> { ["mode"] = mode, ["beta"] = 2.0 });
        using var step = new MultiTaskStep(model, tasks.Select(t => new BalancedTask(t.Name, t.Role)).ToList(), BalancerRegistry.Create("auxilight", options),
            groups => new Sgd(groups, new SgdOptions(0.05, Momentum: 0.9)), stepsPerEpoch: 32, totalSteps: steps, objective.ClassCounts);
        for (int i = 0; i < steps; i++)
        {
            using var scope = DisposeScope.Enter();
            using var batch = loader.Next()!;
            objective.Batch = batch;
            step.Run(objective);
        }
        return step.Balancer.Weights.ToArray<float>().Select(v => (double)v).ToArray();
    }

    [Fact]
    public void TwentyStepsGiveTheExactModesWeightsWithinOneInAHundredThousand()
    {
        var exact = LambdaAfter("exact", 20);
        var jvp = LambdaAfter("jvp", 20);
        for (int k = 1; k < exact.Length; k++)
        {
            Assert.True(Math.Abs(exact[k] - 1) > 1e-3, $"λ_{k} = {exact[k]} barely moved; jvp {jvp[k]}");
            Assert.True(Math.Abs(jvp[k] - exact[k]) <= 1e-5 * Math.Abs(exact[k]), $"λ_{k}: jvp {jvp[k]:R}, exact {exact[k]:R}; all exact {string.Join(" ", exact)} jvp {string.Join(" ", jvp)}");
        }
    }
}
