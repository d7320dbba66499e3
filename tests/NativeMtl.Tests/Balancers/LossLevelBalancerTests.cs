using NativeMtl.Balancers;
using NativeMtl.Models;
using NativeMtl.Raw;

namespace NativeMtl.Tests.Balancers;

public class LossLevelBalancerTests
{
    private static readonly BalancedTask[] AllMain = [new("a", TaskRole.Main), new("b", TaskRole.Main), new("c", TaskRole.Main)];

    /// <summary>Σ_k w_k ∂L_k/∂θ_encoder at the model's current parameters.</summary>
    private static double[] Combined(TinyModel model, TinyObjective objective, double[] weights)
    {
        var g = TinyProblem.EncoderGradients(model, objective, "a", "b", "c");
        return Enumerable.Range(0, g[0].Length).Select(j => weights[0] * g[0][j] + weights[1] * g[1][j] + weights[2] * g[2][j]).ToArray();
    }

    [Fact]
    public void EqualTrainsOnTheSumInOneBackwardPass()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("equal"), AllMain);
        var expected = Combined(model, objective, [1, 1, 1]);
        using var scope = DisposeScope.Enter();
        var result = step.Run(objective);
        TestData.Close(expected, model.ParameterGroups.Encoder.Grads.ToArray<double>(), 1e-12);
        Assert.Equal([1.0, 1, 1], result.Weights.ToArray<double>());
        Assert.Equal((1, 0), (result.EncoderPasses, result.HeadPasses));
    }

    [Fact]
    public void FixedWeighsEachTaskAsConfigured()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        var options = new BalancerOptions(new Dictionary<string, object?> { ["weights"] = new Dictionary<string, object> { ["a"] = 2.0, ["c"] = 0.5 } });
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("fixed", options), AllMain);
        var expected = Combined(model, objective, [2, 1, 0.5]);
        using var scope = DisposeScope.Enter();
        step.Run(objective);
        TestData.Close(expected, model.ParameterGroups.Encoder.Grads.ToArray<double>(), 1e-12);
    }

    [Fact]
    public void FixedRejectsAWeightForAnUnknownTask()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var options = new BalancerOptions(new Dictionary<string, object?> { ["weights"] = new Dictionary<string, object> { ["seg"] = 2.0 } });
        var e = Assert.Throws<ArgumentException>(() => TinyProblem.Step(model, BalancerRegistry.Create("fixed", options), AllMain));
        Assert.Equal("balancer fixed: option 'weights' names 'seg', which is not a task", e.Message);
    }

    [Fact]
    public void UncertaintyWeighsByHalfExpMinusSAndLearnsS()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        var balancer = (UncertaintyBalancer)BalancerRegistry.Create("uncertainty");
        using var step = TinyProblem.Step(model, balancer, AllMain, lr: 0.1);
        double w0 = 0.5 * Math.Exp(0.5);
        var expected = Combined(model, objective, [w0, w0, w0]);
        using var scope = DisposeScope.Enter();
        var losses = TinyProblem.Values(step.Run(objective).Losses);
        TestData.Close(expected, model.ParameterGroups.Encoder.Grads.ToArray<double>(), 1e-12);
        // ∂/∂s_k (L_k/(2e^s) + s/2) = 0.5 − L_k/(2e^s); SGD: s ← s − 0.1·that.
        var s = losses.Select(l => -0.5 - 0.1 * (0.5 - l * 0.5 * Math.Exp(0.5))).ToArray();
        TestData.Close(s.Select(v => 0.5 * Math.Exp(-v)).ToArray(), TinyProblem.Values(balancer.Weights), 1e-12);
    }

    [Fact]
    public void DwaKeepsWeightsAtOneForTwoEpochsThenSoftmaxesTheLossRatios()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("dwa"), AllMain, stepsPerEpoch: 2);
        var epochMeans = new List<double[]>();
        var sum = new double[3];
        for (int i = 0; i < 6; i++)
        {
            using var scope = DisposeScope.Enter();
            var r = step.Run(objective);
            var losses = TinyProblem.Values(r.Losses);
            var weights = TinyProblem.Values(r.Weights);
            for (int k = 0; k < 3; k++) sum[k] += losses[k];
            if (i < 3) Assert.Equal([1.0, 1, 1], weights);
            if (i % 2 == 1)
            {
                epochMeans.Add(sum.Select(v => v / 2).ToArray());
                sum = new double[3];
            }
            if (i == 3)
            {
                var ratio = Enumerable.Range(0, 3).Select(k => epochMeans[1][k] / epochMeans[0][k] / 2).ToArray();
                double z = ratio.Sum(Math.Exp);
                TestData.Close(ratio.Select(v => 3 * Math.Exp(v) / z).ToArray(), weights, 1e-12);
            }
        }
    }

    [Fact]
    public void GlsWeightsAreTheGeometricMeanOverKTimesEachLoss()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("gls"), AllMain);
        using var scope = DisposeScope.Enter();
        var l = objective.Evaluate(false, false).Losses.Values.Select(t => t.Item()).ToArray();
        double geometric = Math.Pow(l[0] * l[1] * l[2], 1.0 / 3);
        var w = l.Select(v => geometric / (3 * v)).ToArray();
        var expected = Combined(model, objective, w);
        var result = step.Run(objective);
        TestData.Close(w, TinyProblem.Values(result.Weights), 1e-12);
        TestData.Close(expected, model.ParameterGroups.Encoder.Grads.ToArray<double>(), 1e-12);
    }

    /// <summary>Task c's loss is exactly 0 (as for a batch without valid targets): it sits the step out, and the
    /// others take the geometric mean of two, √(L_a·L_b), with weights √(L_a·L_b)/(2·L_k); nothing is NaN.</summary>
    [Fact]
    public void GlsLeavesOutATaskWhoseLossIsExactlyZero()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var inner = new TinyObjective(model);
        var objective = new ZeroLoss(inner, "c");
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("gls"), AllMain);
        using var scope = DisposeScope.Enter();
        var l = inner.Evaluate(false, false).Losses.Values.Select(t => t.Item()).ToArray();
        double geometric = Math.Sqrt(l[0] * l[1]);
        double[] w = [geometric / (2 * l[0]), geometric / (2 * l[1]), 0];
        var expected = Combined(model, inner, w);
        var result = step.Run(objective);
        TestData.Close(w, TinyProblem.Values(result.Weights), 1e-12);
        TestData.Close(expected, model.ParameterGroups.Encoder.Grads.ToArray<double>(), 1e-12);
    }

    /// <summary>With c's loss 0 in every epoch its ratio cannot be measured and counts as 1; a and b's are L(e−1)/L(e−2).</summary>
    [Fact]
    public void DwaCountsARatioOfAZeroLossAsOne()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new ZeroLoss(new TinyObjective(model), "c");
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("dwa"), AllMain, stepsPerEpoch: 1);
        var means = new List<double[]>();
        for (int i = 0; i < 3; i++)
        {
            using var scope = DisposeScope.Enter();
            var r = step.Run(objective);
            means.Add(TinyProblem.Values(r.Losses));
            // The weights a step reports are those its update left for the next one: from step 1 on, epoch i over i − 1.
            if (i < 1) continue;
            double[] ratio = [means[i][0] / means[i - 1][0] / 2, means[i][1] / means[i - 1][1] / 2, 1.0 / 2];
            double z = ratio.Sum(Math.Exp);
            TestData.Close(ratio.Select(v => 3 * Math.Exp(v) / z).ToArray(), TinyProblem.Values(r.Weights), 1e-12);
        }
    }

    /// <summary>One task's loss replaced by exactly 0, still on the graph.</summary>
    private sealed class ZeroLoss(TinyObjective inner, string task) : ITaskObjective
    {
        public TaskLosses Evaluate(bool lookAheadBatch, bool perClass, IReadOnlyCollection<string>? tasks = null)
        {
            var l = inner.Evaluate(lookAheadBatch, perClass, tasks);
            var losses = l.Losses.ToDictionary(p => p.Key, p => p.Key == task ? F.MulAdd(p.Value, 0) : p.Value);
            return l with { Losses = losses };
        }
    }

    [Fact]
    public void RlwDrawsFreshSoftmaxWeightsEachStepFromItsSeed()
    {
        double[] Run(int seed, int steps)
        {
            using var model = new TinyModel(["a", "b", "c"]);
            var objective = new TinyObjective(model);
            var options = new BalancerOptions(new Dictionary<string, object?> { ["seed"] = seed });
            using var step = TinyProblem.Step(model, BalancerRegistry.Create("rlw", options), AllMain);
            double[] last = [];
            for (int i = 0; i < steps; i++)
            {
                using var scope = DisposeScope.Enter();
                last = TinyProblem.Values(step.Run(objective).Weights);
                Assert.Equal(1.0, last.Sum(), 12);
            }
            return last;
        }
        Assert.Equal(Run(3, 2), Run(3, 2));
        Assert.NotEqual(Run(3, 2), Run(3, 1));
    }

    /// <summary>The weights are softmax of the seed's first three standard normal draws, and the encoder takes
    /// Σ w_k ∇L_k with them.</summary>
    [Fact]
    public void RlwTrainsOnTheWeightedSumWithItsSoftmaxWeights()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        var draws = Tensors.Normal(new Shape(3), new Generator(5), dtype: DType.Float64).ToArray<double>();
        var w = draws.Select(v => Math.Exp(v) / draws.Sum(Math.Exp)).ToArray();
        var expected = Combined(model, objective, w);
        var options = new BalancerOptions(new Dictionary<string, object?> { ["seed"] = 5 });
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("rlw", options), AllMain);
        using var scope = DisposeScope.Enter();
        TestData.Close(w, TinyProblem.Values(step.Run(objective).Weights), 1e-14);
        TestData.Close(expected, model.ParameterGroups.Encoder.Grads.ToArray<double>(), 1e-12);
    }

    /// <summary>FAMO's first step at w = 0 (z uniform): weights (1/L_k)/Σ_j(1/L_j), the encoder on Σ w_k ∇L_k; after
    /// the update, δ_k = log L_k(before) − log L_k(after) on the same batch, and Adam's first step moves each w_k by
    /// −lr·sign((δ_k − δ̄)/K). The second step's weights are softmax(w)_k/L_k, normalised.</summary>
    [Fact]
    public void FamoWeighsByInverseLossesAndMovesItsLogitsByTheLossDecrease()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        double[] Losses()
        {
            using var probe = DisposeScope.Enter();
            return objective.Evaluate(false, false).Losses.Values.Select(t => t.Item() + 1e-8).ToArray();
        }
        var before = Losses();
        var w1 = before.Select(l => 1 / l / before.Sum(x => 1 / x)).ToArray();
        var expected = Combined(model, objective, w1);
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("famo"), AllMain);
        using (DisposeScope.Enter())
        {
            TestData.Close(w1, TinyProblem.Values(step.Run(objective).Weights), 1e-12);
            TestData.Close(expected, model.ParameterGroups.Encoder.Grads.ToArray<double>(), 1e-12);
        }
        var after = Losses();
        var delta = before.Zip(after, (b, a) => Math.Log(b) - Math.Log(a)).ToArray();
        var logits = delta.Select(d => -0.025 * Math.Sign((d - delta.Average()) / 3)).ToArray();
        var z = logits.Select(Math.Exp).Select(e => e / logits.Sum(Math.Exp)).ToArray();
        var ratio = z.Zip(after, (zk, l) => zk / l).ToArray();
        using var scope = DisposeScope.Enter();
        TestData.Close(ratio.Select(r => r / ratio.Sum()).ToArray(), TinyProblem.Values(step.Run(objective).Weights), 1e-6);
    }

    [Fact]
    public void GradNormLowersTheWeightOfTheTaskWithTheLargestGradientAndKeepsTheSumAtK()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        var layer = model.ParameterGroups.Encoder.Members.First(m => m.Parameter.Shape.Rank >= 2).Parameter.Value;
        double[] norms;
        using (var probe = DisposeScope.Enter())
        {
            var losses = objective.Evaluate(false, false).Losses;
            norms = new[] { "a", "b", "c" }.Select(t => Ops.Reduce(NativeMtl.Kernels.ReduceOp.L2Norm, Autograd.Grad(losses[t], layer, retainGraph: true), []).Item()).ToArray();
        }
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("gradnorm"), AllMain);
        using var scope = DisposeScope.Enter();
        var result = step.Run(objective);
        var w = TinyProblem.Values(result.Weights);
        Assert.Equal(3.0, w.Sum(), 12);
        int largest = Array.IndexOf(norms, norms.Max()), smallest = Array.IndexOf(norms, norms.Min());
        Assert.True(w[largest] < 1 && w[smallest] > 1, $"norms {string.Join(", ", norms)} gave weights {string.Join(", ", w)}");
        Assert.Equal((1, 3), (result.EncoderPasses, result.HeadPasses));
    }

    /// <summary>G = w·n = (0.9, 1, 1.1) and relative losses r = (0.8, 1, 1.2): the target mean(G)·r^α is (0.894, 1,
    /// 1.095) at α = 0.5, where task c is under it by 0.005, and (0.716, 1, 1.315) at α = 1.5, where it is over: the
    /// signs (+, 0, +) and (+, 0, −) move w = 1 − 0.1·sign·n to (0.91, 1, 0.89) and (0.91, 1, 1.11), then ×3/Σ.</summary>
    [Theory]
    [InlineData(0.5, new[] { 0.91, 1, 0.89 })]
    [InlineData(1.5, new[] { 0.91, 1, 1.11 })]
    public void GradNormsAlphaDecidesWhichTasksAreBelowTheirTarget(double alpha, double[] moved)
    {
        using var scope = DisposeScope.Enter();
        var w = GradNormBalancer.Update(Tensors.Ones(new Shape(3), DType.Float64), Tensors.FromArray([0.9, 1, 1.1], 3), Tensors.FromArray([1.6, 2, 2.4], 3), alpha, 0.1);
        TestData.Close(moved.Select(v => 3 * v / moved.Sum()).ToArray(), w.ToArray<double>(), 1e-14);
    }

    /// <summary>Three steps with α = 0.5 and weight_lr 0.1, replayed by hand from the norms ‖∇_W L_k‖ and losses at
    /// each step's parameters (W the encoder's weight): G_k = w_k·n_k, r_k = (L_k/L_k⁰)/mean, target mean(G)·r_k^α held
    /// constant, so ∂L_grad/∂w_k = sign(G_k − target_k)·n_k; w ← w − 0.1·that, renormalised to sum 3.</summary>
    [Fact]
    public void GradNormFollowsItsRuleStepByStepWithTheGivenAlphaAndWeightRate()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        var options = new BalancerOptions(new Dictionary<string, object?> { ["alpha"] = 0.5, ["weight_lr"] = 0.1 });
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("gradnorm", options), AllMain);
        double[] w = [1, 1, 1];
        double[]? initial = null;
        for (int s = 0; s < 3; s++)
        {
            double[] l, n;
            using (DisposeScope.Enter())
            {
                var losses = objective.Evaluate(false, false).Losses;
                var layer = model.Encoder.Weight.Value;
                l = new[] { "a", "b", "c" }.Select(t => losses[t].Item()).ToArray();
                n = new[] { "a", "b", "c" }.Select(t => Ops.Reduce(NativeMtl.Kernels.ReduceOp.L2Norm, Autograd.Grad(losses[t], layer, retainGraph: true), []).Item()).ToArray();
            }
            initial ??= l;
            var ratio = l.Select((v, k) => v / initial[k]).ToArray();
            var g = w.Select((v, k) => v * n[k]).ToArray();
            var target = ratio.Select(r => g.Average() * Math.Pow(r / ratio.Average(), 0.5)).ToArray();
            var updated = w.Select((v, k) => Math.Max(v - 0.1 * Math.Sign(g[k] - target[k]) * n[k], 1e-8)).ToArray();
            w = updated.Select(v => 3 * v / updated.Sum()).ToArray();
            using var scope = DisposeScope.Enter();
            TestData.Close(w, TinyProblem.Values(step.Run(objective).Weights), 1e-12);
        }
        Assert.NotEqual(1, w[0], 3);
    }
}
