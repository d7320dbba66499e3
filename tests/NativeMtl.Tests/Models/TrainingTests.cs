using Xunit.Abstractions;
using NativeMtl.Balancers;
using NativeMtl.Data;
using NativeMtl.Kernels;
using NativeMtl.Models;

namespace NativeMtl.Tests.Models;

public class TrainingTests(ITestOutputHelper output)
{
    private static readonly string[] TaskNames = ["seg", "depth", "normal"];

    /// <summary>Trains the small hard-sharing net with equal weights and returns each task's validation loss
    /// before and after.</summary>
    private static (double[] Before, double[] After) Train(int steps)
    {
        DenseTask[] tasks = TaskNames.Select(t => DenseTask.Create(t, TaskRole.Main, SceneClasses.Count)).ToArray();
        using var model = ArchitectureRegistry.Create("hps", new ArchitectureOptions
        {
            Tasks = tasks.Select(t => t.Spec).ToList(),
            EncoderOptions = new EncoderOptions { Widths = [16, 32, 32], Blocks = [1, 1, 1] },
            Seed = 5,
        });
        var objective = new DenseTaskObjective(model, tasks, SceneClasses.Count);
        var validation = new SyntheticScenes(seed: 1, split: SceneSplit.Validation, height: 48, width: 64, count: 16);
        double[] Validate()
        {
            model.Eval();
            var totals = new double[tasks.Length];
            using var loader = new BatchLoader(validation, new BatchLoaderOptions { BatchSize = 8, Workers = 1 });
            while (loader.Next() is { } batch)
            {
                using var scope = DisposeScope.Enter();
                using var _ = batch;
                using var noGrad = GradMode.NoGrad();
                objective.Batch = batch;
                var losses = objective.Evaluate(false, false).Losses;
                for (int i = 0; i < tasks.Length; i++) totals[i] += losses[tasks[i].Name].Item();
            }
            model.Train();
            return totals.Select(t => t / 2).ToArray();
        }

        var before = Validate();
        var scenes = new SyntheticScenes(seed: 1, height: 48, width: 64, count: 256);
        using var train = new BatchLoader(scenes, new BatchLoaderOptions { BatchSize = 8, Shuffle = true, Seed = 2, Epochs = null, Workers = 2 });
        using var step = new MultiTaskStep(model, tasks.Select(t => new BalancedTask(t.Name, t.Role)).ToList(), BalancerRegistry.Create("equal"),
            groups => new Adam(groups, new AdamOptions(2e-3)), stepsPerEpoch: 32, totalSteps: steps);
        for (int i = 0; i < steps; i++)
        {
            using var scope = DisposeScope.Enter();
            using var batch = train.Next()!;
            objective.Batch = batch;
            step.Run(objective);
        }
        return (before, Validate());
    }

    [Fact]
    public void TheSmallNetLowersEveryTasksValidationLossByAtLeast30PercentAndIsReproducible()
    {
        var (before, after) = Train(steps: 300);
        for (int i = 0; i < TaskNames.Length; i++)
            output.WriteLine($"{TaskNames[i]}: validation loss {before[i]:F4} → {after[i]:F4} ({100 * (1 - after[i] / before[i]):F0}% lower)");
        for (int i = 0; i < TaskNames.Length; i++)
            Assert.True(after[i] <= 0.7 * before[i], $"{TaskNames[i]}: validation loss went from {before[i]:F4} to {after[i]:F4}");
        var (_, again) = Train(steps: 300);
        Assert.Equal(after, again);
    }
}
