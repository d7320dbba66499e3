using NativeMtl.Balancers;

namespace NativeMtl.Tests.Balancers;

/// <summary>The auxiliary modules' losses (seed 001) train the encoder whatever gradient level the balancer works
/// at: the same step with and without such a loss gives encoder gradients that differ by exactly its gradient.</summary>
public class AuxiliaryModuleLossTests
{
    /// <summary>One balancer for each way a step reaches the encoder: a weighted sum (losses), a backward pass from z
    /// (feature), K gradient rows then a combine (parameters, matrix), rows streamed parameter by parameter
    /// (parameters, AuxiLight exact), a forward-mode pass (AuxiLight jvp), and a virtual step first (look-ahead).</summary>
    [Theory]
    [InlineData("equal", "losses")]
    [InlineData("ial", "feature")]
    [InlineData("mgda", "parameters, matrix")]
    [InlineData("auxilight", "parameters, streamed")]
    [InlineData("auxilight_jvp", "forward mode")]
    [InlineData("autolambda", "look-ahead")]
    public void AnAuxiliaryModuleLossAddsExactlyItsGradientToTheEncoder(string balancer, string level)
    {
        var without = EncoderGradient(balancer, withModuleLoss: false);
        var with = EncoderGradient(balancer, withModuleLoss: true);
        var moduleGradient = ModuleLossGradient();
        Assert.True(moduleGradient.Any(v => Math.Abs(v) > 1e-3), level);
        TestData.Close(moduleGradient, with.Zip(without, (a, b) => a - b).ToArray(), 1e-10);
    }

    private static double[] EncoderGradient(string balancer, bool withModuleLoss)
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new ModuleLoss(new TinyObjective(model), withModuleLoss);
        var created = balancer == "auxilight_jvp"
            ? BalancerRegistry.Create("auxilight", new BalancerOptions(new Dictionary<string, object?> { ["mode"] = "jvp" }))
            : BalancerRegistry.Create(balancer);
        using var step = TinyProblem.Step(model, created);
        using var scope = DisposeScope.Enter();
        step.Run(objective);
        return model.ParameterGroups.Encoder.Grads.ToArray<double>();
    }

    /// <summary>∂(mean of z²)/∂θ_encoder at the fresh model's parameters.</summary>
    private static double[] ModuleLossGradient()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new ModuleLoss(new TinyObjective(model), true);
        using var scope = DisposeScope.Enter();
        var losses = objective.Evaluate(false, false);
        var encoder = model.ParameterGroups.Encoder.Members.Select(m => m.Parameter.Value).ToArray();
        return Autograd.Grad([losses.AuxiliaryModuleLosses["module"]], encoder).SelectMany(g => g.ToArray<double>()).ToArray();
    }

    /// <summary>The tiny objective with an auxiliary module's loss on the shared feature: mean(z²).</summary>
    private sealed class ModuleLoss(TinyObjective inner, bool present) : ITaskObjective
    {
        public TaskLosses Evaluate(bool lookAheadBatch, bool perClass, IReadOnlyCollection<string>? tasks = null)
        {
            var l = inner.Evaluate(lookAheadBatch, perClass, tasks);
            if (!present) return l;
            return l with { AuxiliaryModuleLosses = new Dictionary<string, Tensor> { ["module"] = F.Mean(F.Square(l.SharedFeature)) } };
        }
    }
}
