using NativeMtl.Balancers;
using NativeMtl.Models;
using NativeMtl.Raw;

namespace NativeMtl.Tests.Balancers;

public class GradientLevelBalancerTests
{
    [Fact]
    public void AuxiLightMovesEachWeightByLearningRateTimesBetaTimesTheEncoderInnerProduct()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        var g = TinyProblem.EncoderGradients(model, objective, "a", "b", "c");
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("auxilight", TinyProblem.Options(("beta", 0.5))), lr: 0.1);
        using var scope = DisposeScope.Enter();
        var result = step.Run(objective);
        var lambda = TinyProblem.Values(result.Weights);
        Assert.Equal(1.0, lambda[0]);
        Assert.Equal(1 + 0.1 * 0.5 * TinyProblem.Dot(g[0], g[1]), lambda[1], 12);
        Assert.Equal(1 + 0.1 * 0.5 * TinyProblem.Dot(g[0], g[2]), lambda[2], 12);
        Assert.Equal((3, 0), (result.EncoderPasses, result.HeadPasses));
    }

    /// <summary>b's loss is −L_a, so ⟨g_0, g_b⟩ = −‖g_0‖² pushes λ_b down by α·β·‖g_0‖² (β 1000 makes that large); c's is
    /// 2·L_a and goes up. λ_b stops at <c>min_weight</c>: 0 by default, 0.5 when set, and nowhere when it is −∞.</summary>
    [Theory]
    [InlineData(null, 0.0)]
    [InlineData(0.5, 0.5)]
    [InlineData(double.NegativeInfinity, double.NaN)]
    public void AuxiLightKeepsEachWeightAtOrAboveMinWeight(double? minimum, double floor)
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var inner = new TinyObjective(model);
        var g0 = TinyProblem.EncoderGradients(model, inner, "a")[0];
        double squared = TinyProblem.Dot(g0, g0), unclamped = 1 - 0.1 * 1000 * squared;
        Assert.True(unclamped < -1, $"λ_b would only reach {unclamped}");
        var options = minimum is { } m ? TinyProblem.Options(("beta", 1000.0), ("min_weight", m)) : TinyProblem.Options(("beta", 1000.0));
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("auxilight", options), lr: 0.1);
        using var scope = DisposeScope.Enter();
        var lambda = TinyProblem.Values(step.Run(new Opposing(inner)).Weights);
        Assert.Equal(double.IsNaN(floor) ? unclamped : floor, lambda[1], 10);
        Assert.Equal(1 + 0.1 * 1000 * 2 * squared, lambda[2], 10);
    }

    [Fact]
    public void AuxiLightTrainsTheEncoderOnTheMainGradientPlusTheWeightedAuxiliaryOnes()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        var g = TinyProblem.EncoderGradients(model, objective, "a", "b", "c");
        var options = TinyProblem.Options(("initial_weight", 0.25));
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("auxilight", options));
        using var scope = DisposeScope.Enter();
        step.Run(objective);
        var expected = g[0].Select((v, j) => v + 0.25 * g[1][j] + 0.25 * g[2][j]).ToArray();
        TestData.Close(expected, model.ParameterGroups.Encoder.Grads.ToArray<double>(), 1e-12);
    }

    [Fact]
    public void AuxiLightFeatureModeUsesInnerProductsAtTheSharedFeatureWithOneEncoderPass()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        double[][] gz;
        using (var probe = DisposeScope.Enter())
        {
            var losses = objective.Evaluate(false, false);
            var z = losses.SharedFeature;
            gz = new[] { "a", "b", "c" }.Select(t => Autograd.Grad(losses.Losses[t], z, retainGraph: true).ToArray<double>()).ToArray();
        }
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("auxilight", TinyProblem.Options(("mode", "feature"), ("beta", 2.0))), lr: 0.05);
        using var scope = DisposeScope.Enter();
        var result = step.Run(objective);
        var lambda = TinyProblem.Values(result.Weights);
        Assert.Equal(1 + 0.05 * 2 * TinyProblem.Dot(gz[0], gz[1]), lambda[1], 12);
        Assert.Equal((1, 3), (result.EncoderPasses, result.HeadPasses));
    }

    [Fact]
    public void GradSimDropsAnAuxiliaryTaskWhoseGradientPointsAgainstTheMainTask()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var inner = new TinyObjective(model);
        var objective = new Opposing(inner);
        var g = TinyProblem.EncoderGradients(model, inner, "a");
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("gradsim"));
        using var scope = DisposeScope.Enter();
        var result = step.Run(objective);
        Assert.Equal([1.0, 0, 1], TinyProblem.Values(result.Weights));
        // b = −a is dropped; c = 2a is kept: the encoder gets a + 2a.
        TestData.Close(g[0].Select(v => 3 * v).ToArray(), model.ParameterGroups.Encoder.Grads.ToArray<double>(), 1e-12);
    }

    /// <summary>b's and c's losses mixed with a's, so that their gradients make cosines strictly between 0 and 1 with
    /// a's, where weighted and unweighted differ: the weights are the cosines, the encoder takes g_a + Σ cos_i·g_i.</summary>
    [Fact]
    public void WeightedGradSimScalesEachAuxiliaryGradientByACosineBetweenZeroAndOne()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new Blended(new TinyObjective(model));
        var g = TinyProblem.EncoderGradients(model, objective, "a", "b", "c");
        double Cos(double[] x, double[] y) => TinyProblem.Dot(x, y) / Math.Sqrt(TinyProblem.Dot(x, x) * TinyProblem.Dot(y, y));
        double[] w = [1, Cos(g[0], g[1]), Cos(g[0], g[2])];
        Assert.All(w.Skip(1), c => Assert.InRange(c, 0.05, 0.95));
        var expected = Enumerable.Range(0, g[0].Length).Select(p => g[0][p] + w[1] * g[1][p] + w[2] * g[2][p]).ToArray();
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("gradsim", TinyProblem.Options(("weighted", true))));
        using var scope = DisposeScope.Enter();
        TestData.Close(w, TinyProblem.Values(step.Run(objective).Weights), 1e-12);
        TestData.Close(expected, model.ParameterGroups.Encoder.Grads.ToArray<double>(), 1e-12);
    }

    /// <summary>b's loss is L_a + L_b and c's is L_a + 2·L_c: gradients partly aligned with a's.</summary>
    private sealed class Blended(TinyObjective inner) : ITaskObjective
    {
        public TaskLosses Evaluate(bool lookAheadBatch, bool perClass, IReadOnlyCollection<string>? tasks = null)
        {
            var l = inner.Evaluate(lookAheadBatch, perClass, tasks);
            var (a, b, c) = (l.Losses["a"], l.Losses["b"], l.Losses["c"]);
            return l with { Losses = new Dictionary<string, Tensor> { ["a"] = a, ["b"] = F.Add(a, b), ["c"] = F.Add(a, F.MulAdd(c, 2)) } };
        }
    }

    [Fact]
    public void WeightedGradSimScalesAKeptAuxiliaryGradientByItsCosine()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("gradsim", TinyProblem.Options(("weighted", true))));
        using var scope = DisposeScope.Enter();
        var weights = TinyProblem.Values(step.Run(new Opposing(new TinyObjective(model))).Weights);
        Assert.Equal([1.0, 0, 1], weights.Select(w => Math.Round(w, 12)).ToArray());
    }

    /// <summary>Task b's loss is −L_a and task c's is 2·L_a: exactly opposed and exactly aligned gradients.</summary>
    private sealed class Opposing(TinyObjective inner) : ITaskObjective
    {
        public TaskLosses Evaluate(bool lookAheadBatch, bool perClass, IReadOnlyCollection<string>? tasks = null)
        {
            var l = inner.Evaluate(lookAheadBatch, perClass, tasks);
            var a = l.Losses["a"];
            return l with { Losses = new Dictionary<string, Tensor> { ["a"] = a, ["b"] = F.Neg(a), ["c"] = F.MulAdd(a, 2) } };
        }
    }

    [Fact]
    public void IalRescalesEachAuxiliaryFeatureGradientToTheMainNormTimesR()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var balancer = (IalBalancer)BalancerRegistry.Create("ial");
        using var step = TinyProblem.Step(model, balancer);
        using var scope = DisposeScope.Enter();
        var main = Tensors.FromArray([3.0, 4, 0], 1, 3);
        var rows = Ops.Concat(0, main, Tensors.FromArray([0.0, 1, 0], 1, 3), Tensors.FromArray([-2.0, 0, 0], 1, 3));
        var combined = balancer.EncoderFeatureGradient(rows, ["a", "b", "c"]).ToArray<double>();
        // σ = e^(−½ ln 2) = 1/√2 at the start, so r = 1 − 1/√2; ‖main‖ = 5: b becomes (0, 5r, 0), c (−5r, 0, 0).
        double r = 1 - 1 / Math.Sqrt(2);
        TestData.Close([3 - 5 * r, 4 + 5 * r, 0], combined, 1e-12);
        var rescaledAuxiliary = combined.Zip(new[] { 3.0, 4, 0 }, (x, m) => x - m).ToArray();
        Assert.Equal(Math.Sqrt(2) * 5 * r, Math.Sqrt(rescaledAuxiliary.Sum(v => v * v)), 12);
    }

    /// <summary>Seed 002's ablations on the rows above (main (3, 4, 0), b (0, 1, 0), c (−2, 0, 0)): uncertainty only adds
    /// r·b and r·c as they are, (3 − 2r, 4 + r, 0); gradient only rescales them to ‖main‖ = 5 with r fixed at 0.1,
    /// (3 − 0.5, 4 + 0.5, 0), and reports 0.1 as their weights.</summary>
    [Theory]
    [InlineData("uncertainty")]
    [InlineData("gradient")]
    public void IalsEncoderAblationsKeepOneOfItsTwoFactors(string encoder)
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var balancer = (IalBalancer)BalancerRegistry.Create("ial", TinyProblem.Options(("encoder", encoder)));
        using var step = TinyProblem.Step(model, balancer);
        using var scope = DisposeScope.Enter();
        var rows = Ops.Concat(0, Tensors.FromArray([3.0, 4, 0], 1, 3), Tensors.FromArray([0.0, 1, 0], 1, 3), Tensors.FromArray([-2.0, 0, 0], 1, 3));
        var combined = balancer.EncoderFeatureGradient(rows, ["a", "b", "c"]).ToArray<double>();
        double r = 1 - 1 / Math.Sqrt(2);
        TestData.Close(encoder == "uncertainty" ? [3 - 2 * r, 4 + r, 0] : [2.5, 4.5, 0], combined, 1e-12);
        TestData.Close(encoder == "uncertainty" ? [1, r, r] : [1, 0.1, 0.1], TinyProblem.Values(balancer.Weights), 1e-12);
    }

    [Fact]
    public void IalSignMaskingZeroesAuxiliaryEntriesThatConflictWithTheMainGradient()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var balancer = (IalBalancer)BalancerRegistry.Create("ial", TinyProblem.Options(("sign_mask", true)));
        using var step = TinyProblem.Step(model, balancer);
        using var scope = DisposeScope.Enter();
        var rows = Ops.Concat(0, Tensors.FromArray([3.0, 4, 0], 1, 3), Tensors.FromArray([1.0, -1, 0], 1, 3), Tensors.FromArray([0.0, 2, 0], 1, 3));
        var combined = balancer.EncoderFeatureGradient(rows, ["a", "b", "c"]).ToArray<double>();
        double r = 1 - 1 / Math.Sqrt(2);
        // b keeps (1, 0, 0) → 5r·(1, 0, 0); c keeps (0, 2, 0) → 5r·(0, 1, 0).
        TestData.Close([3 + 5 * r, 4 + 5 * r, 0], combined, 1e-12);
    }

    [Fact]
    public void IalTrainsTheHeadsAndLogSigmaOnTheUncertaintyWeightedLossWithOneEncoderPass()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        var balancer = (IalBalancer)BalancerRegistry.Create("ial");
        using var step = TinyProblem.Step(model, balancer, lr: 0.1);
        using var scope = DisposeScope.Enter();
        var result = step.Run(objective);
        var losses = TinyProblem.Values(result.Losses);
        // ∂/∂s (½e^(−2s)L + s) = 1 − e^(−2s)L; e^(−2s) = 2 at s = −½ ln 2.
        double s0 = -0.5 * Math.Log(2);
        TestData.Close(losses.Select(l => s0 - 0.1 * (1 - 2 * l)).ToArray(), TinyProblem.Values(balancer.LogSigma), 1e-12);
        Assert.Equal((1, 3), (result.EncoderPasses, result.HeadPasses));
    }

    /// <summary>A second step, once s has moved from −½ ln 2 (where ½e^(−2s) is exactly 1): each head takes
    /// ½e^(−2 s_t)·∂L_t/∂head_t, and the encoder takes J_zᵀ·g with g = g_a + Σ_aux r_t·(‖g_a‖/‖g_t‖)·g_t at z,
    /// r_t = clamp(1 − e^(s_t), 0, 1), all worked from the s the first step left.</summary>
    [Fact]
    public void IalsSecondStepWeighsEachHeadByHalfExpMinusTwoSAndRescalesTheFeatureGradients()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        var balancer = (IalBalancer)BalancerRegistry.Create("ial");
        using var step = TinyProblem.Step(model, balancer, lr: 0.1);
        using (DisposeScope.Enter()) step.Run(objective);
        var s = TinyProblem.Values(balancer.LogSigma);
        Assert.All(s, v => Assert.NotEqual(-0.5 * Math.Log(2), v, 3));
        var encoder = model.ParameterGroups.Encoder.Members.Select(m => m.Parameter.Value).ToArray();
        double[] expectedEncoder;
        var heads = TinyProblem.HeadGradients(model, objective);
        using (DisposeScope.Enter())
        {
            var losses = objective.Evaluate(false, false);
            var z = losses.SharedFeature;
            var g = new[] { "a", "b", "c" }.Select(t => Autograd.Grad(losses.Losses[t], z, retainGraph: true).ToArray<double>()).ToArray();
            double Norm(double[] v) => Math.Sqrt(TinyProblem.Dot(v, v));
            var combined = (double[])g[0].Clone();
            for (int t = 1; t < 3; t++)
            {
                double r = Math.Clamp(1 - Math.Exp(s[t]), 0, 1);
                for (int p = 0; p < combined.Length; p++) combined[p] += r * Norm(g[0]) / Norm(g[t]) * g[t][p];
            }
            expectedEncoder = Autograd.Grad([z], encoder, [Tensors.FromArray(combined, z.Shape)], retainGraph: true).SelectMany(x => x.ToArray<double>()).ToArray();
        }
        using var scope = DisposeScope.Enter();
        step.Run(objective);
        TestData.Close(expectedEncoder, model.ParameterGroups.Encoder.Grads.ToArray<double>(), 1e-12);
        foreach (var (t, k) in new[] { ("a", 0), ("b", 1), ("c", 2) })
            TestData.Close(heads[t].Select(v => 0.5 * Math.Exp(-2 * s[k]) * v).ToArray(), model.ParameterGroups[$"heads.{t}"].Grads.ToArray<double>(), 1e-12);
    }

    /// <summary>With <c>ema</c> 0.75, r starts at r₀ = 1 − 1/√2; step 1 smooths r₀ with itself (s has not moved yet);
    /// step 2 reports 0.75·r₀ + 0.25·clamp(1 − e^(s₁), 0, 1) with s₁ what step 1 left.</summary>
    [Fact]
    public void IalsEmaOptionSmoothsTheRatiosIntoThePreviousOnes()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        var balancer = (IalBalancer)BalancerRegistry.Create("ial", TinyProblem.Options(("ema", 0.75)));
        using var step = TinyProblem.Step(model, balancer, lr: 0.1);
        double r0 = 1 - 1 / Math.Sqrt(2);
        using (DisposeScope.Enter()) TestData.Close([1, r0, r0], TinyProblem.Values(step.Run(objective).Weights), 1e-14);
        var s1 = TinyProblem.Values(balancer.LogSigma);
        using var scope = DisposeScope.Enter();
        var r = TinyProblem.Values(step.Run(objective).Weights);
        TestData.Close([1, 0.75 * r0 + 0.25 * Math.Clamp(1 - Math.Exp(s1[1]), 0, 1), 0.75 * r0 + 0.25 * Math.Clamp(1 - Math.Exp(s1[2]), 0, 1)], r, 1e-14);
        Assert.NotEqual(Math.Clamp(1 - Math.Exp(s1[1]), 0, 1), r[1], 6);
    }

    [Fact]
    public void OlAuxAddsBetaTimesTheSummedFeatureInnerProductsEveryNSteps()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("olaux", TinyProblem.Options(("every", 2), ("beta", 0.5))));
        double sum = 0;
        for (int i = 0; i < 2; i++)
        {
            using (var probe = DisposeScope.Enter())
            {
                var losses = objective.Evaluate(false, false);
                var z = losses.SharedFeature;
                var ga = Autograd.Grad(losses.Losses["a"], z, retainGraph: true).ToArray<double>();
                var gb = Autograd.Grad(losses.Losses["b"], z, retainGraph: true).ToArray<double>();
                sum += TinyProblem.Dot(ga, gb);
            }
            using var scope = DisposeScope.Enter();
            var lambda = TinyProblem.Values(step.Run(objective).Weights);
            if (i == 0) Assert.Equal([1.0, 1, 1], lambda);
            else Assert.Equal(Math.Max(0, 1 + 0.5 * sum), lambda[1], 10);
        }
    }

    [Fact]
    public void AuxiliaryBalancersNeedExactlyOneMainTask()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        BalancedTask[] allMain = [new("a", TaskRole.Main), new("b", TaskRole.Main), new("c", TaskRole.Main)];
        var e = Assert.Throws<ArgumentException>(() => TinyProblem.Step(model, BalancerRegistry.Create("auxilight"), allMain));
        Assert.Equal("balancer auxilight needs exactly one main task and at least one auxiliary task, got 3 main of 3", e.Message);
    }
}
