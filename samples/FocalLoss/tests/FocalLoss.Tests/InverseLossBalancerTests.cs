using NativeMtl;
using NativeMtl.Balancers;
using NativeMtl.Balancers.Testing;

namespace FocalLoss.Tests;

/// <summary>The sample balancer on NativeMtl's toy problem (three tasks, 1×1 convolutions), and the plug-in's names.</summary>
public class InverseLossBalancerTests
{
    private static readonly BalancedTask[] AllMain = [new("a", TaskRole.Main), new("b", TaskRole.Main), new("c", TaskRole.Main)];

    [Fact]
    public void EveryWeightedLossIsTheSameAndTheWeightsSumToTheTaskCount()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        using var step = TinyProblem.Step(model, new InverseLossBalancer(BalancerOptions.None), AllMain);
        using var scope = DisposeScope.Enter();
        var result = step.Run(objective);
        var losses = TinyProblem.Values(result.Losses);
        var weights = TinyProblem.Values(result.Weights);
        // w_k = 3·(1/L_k)/Σ_j(1/L_j), so w_k·L_k = 3/Σ_j(1/L_j) for every k (the weights are Float32: 7 digits).
        double each = 3 / losses.Sum(l => 1 / l);
        Assert.All(weights.Zip(losses, (w, l) => w * l), product => Assert.Equal(each, product, 6));
        Assert.Equal(3, weights.Sum(), 6);
    }

    [Fact]
    public void ThePluginRegistersTheTaskAndTheBalancerByName()
    {
        new FocalLossPlugin().Register();
        Assert.Contains("seg_focal", TaskRegistry.Names);
        Assert.Contains("inverse_loss", BalancerRegistry.Names);
        Assert.IsType<FocalTaskLoss>(DenseTask.Create("seg_focal", TaskRole.Main, classes: 13).Loss);
    }
}
