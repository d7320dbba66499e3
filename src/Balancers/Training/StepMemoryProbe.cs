using NativeMtl.Data;
using NativeMtl.Kernels;
using NativeMtl.Models;

namespace NativeMtl.Balancers;

/// <summary>
/// Trains like a real run (synthetic scenes through the prefetching loader, the hard-sharing model, SGD with
/// momentum) and reads the live tensor bytes at the start of every step: memory that stays flat over a long run
/// gives the same figure at every step once the first steps have made their long-lived tensors.
/// </summary>
public static class StepMemoryProbe
{
    /// <summary>Live tensor bytes at the start of each of <paramref name="steps"/> steps of <paramref name="balancer"/>;
    /// <paramref name="progress"/> hears every thousandth step.</summary>
    public static long[] LiveBytesAtStepStarts(string balancer, int steps, StepBenchConfig config, Action<int>? progress = null)
    {
        DenseTask[] tasks =
        [
            DenseTask.Create("seg", TaskRole.Main, SceneClasses.Count),
            DenseTask.Create("depth", TaskRole.Auxiliary, SceneClasses.Count),
            DenseTask.Create("normal", TaskRole.Auxiliary, SceneClasses.Count),
        ];
        using var model = ArchitectureRegistry.Create("hps", new ArchitectureOptions
        {
            Tasks = tasks.Select(t => t.Spec).ToList(),
            Encoder = config.Encoder,
            EncoderOptions = new EncoderOptions { Widths = config.Widths },
            Head = config.Head,
            Seed = 1,
        });
        var scenes = new SyntheticScenes(seed: 3, height: config.Height, width: config.Width, count: 64);
        using var loader = new BatchLoader(scenes, new BatchLoaderOptions { BatchSize = config.Batch, Epochs = null, Shuffle = true, Seed = 4, DropLast = true });
        var chosen = BalancerRegistry.Create(balancer);
        var objective = new DenseTaskObjective(model, tasks, chosen.PerClassBins ?? DenseTaskObjective.DefaultBins);
        using var step = new MultiTaskStep(model, tasks.Select(t => new BalancedTask(t.Name, t.Role)).ToList(), chosen,
            groups => new Sgd(groups, new SgdOptions(1e-3, Momentum: 0.9)), stepsPerEpoch: 64 / config.Batch, totalSteps: steps, objective.ClassCounts);
        bool lookAhead = step.Balancer.Level == GradientLevel.LookAhead;
        var live = new long[steps];
        for (int s = 0; s < steps; s++)
        {
            live[s] = MemoryCounters.LiveBytes;
            using var scope = DisposeScope.Enter();
            using var batch = loader.Next()!;
            using var second = lookAhead ? loader.Next()! : null;
            objective.Batch = batch;
            objective.LookAheadBatch = second;
            step.Run(objective);
            if ((s + 1) % 1000 == 0) progress?.Invoke(s + 1);
        }
        return live;
    }
}
