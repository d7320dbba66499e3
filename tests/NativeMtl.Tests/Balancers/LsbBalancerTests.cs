using NativeMtl.Balancers;

namespace NativeMtl.Tests.Balancers;

/// <summary>Loss scale balancing (seed 004) driven period by period with known mean losses.</summary>
public class LsbBalancerTests
{
    private static readonly BalancedTask[] Tasks = [new("a", TaskRole.Main), new("b", TaskRole.Main), new("c", TaskRole.Main)];

    private static (LsbBalancer Balancer, MultiTaskStep Step, TinyModel Model) Attached(BalancerOptions? options = null)
    {
        var model = new TinyModel(["a", "b", "c"]);
        var balancer = (LsbBalancer)BalancerRegistry.Create("lsb", options);
        return (balancer, TinyProblem.Step(model, balancer, Tasks), model);
    }

    private static double[] Weights(LsbBalancer b) => TinyProblem.Values(b.Weights);

    private static void End(LsbBalancer b, params double[] means)
    {
        using var scope = DisposeScope.Enter();
        b.EndPeriod(Tensors.FromArray(means, 3));
    }

    [Fact]
    public void PeriodOneWeighsEachTaskByItsPriority()
    {
        var (balancer, step, model) = Attached(new BalancerOptions(new Dictionary<string, object?>
            { ["priorities"] = new Dictionary<string, object> { ["a"] = 2.0, ["b"] = 1.0, ["c"] = 1.0 } }));
        using (model)
        using (step) TestData.Close([0.5, 0.25, 0.25], Weights(balancer), 1e-15);
    }

    [Fact]
    public void PeriodTwoScalesEachLossToItsPriorityShareOfTheOverallLoss()
    {
        var (balancer, step, model) = Attached();
        using (model)
        using (step)
        {
            End(balancer, 3, 0.5, 1.5);
            // L¹ = Σ π_k L_k¹ = (3 + 0.5 + 1.5)/3 = 5/3; w_k = π_k L¹ / L_k¹.
            double overall = 5.0 / 3;
            var w = Weights(balancer);
            TestData.Close([overall / 3 / 3, overall / 3 / 0.5, overall / 3 / 1.5], w, 1e-14);
            // Proposition 1: the re-weighted losses of period 1 still add up to L¹, each contributing π_k L¹.
            Assert.Equal(overall, w[0] * 3 + w[1] * 0.5 + w[2] * 1.5, 14);
            Assert.All(new[] { w[0] * 3, w[1] * 0.5, w[2] * 1.5 }, v => Assert.Equal(overall / 3, v, 14));
        }
    }

    /// <summary>With a fixed β of 0.2 (option <c>beta_schedule: fixed</c>), period 3 applies Eq. 10 in full.</summary>
    [Fact]
    public void PeriodThreeAddsDifficultyFactorsNormalizedSoTheOverallLossIsUnchanged()
    {
        var (balancer, step, model) = Attached(TinyProblem.Options(("beta_schedule", "fixed"), ("beta", 0.2)));
        using (model)
        using (step)
        {
            End(balancer, 3, 0.5, 1.5);
            var w2 = Weights(balancer);
            double[] l2 = [2, 0.45, 0.6];
            End(balancer, l2);
            double overall1 = 5.0 / 3, overall2 = w2[0] * l2[0] + w2[1] * l2[1] + w2[2] * l2[2];
            // β = 0.2; d_k = ((L_k² / L_k¹) / (L² / L¹))^β; α = 1 / Σ π_k d_k; weights α·d_k·w_k³ with w_k³ = π_k L² / L_k².
            double[] l1 = [3, 0.5, 1.5];
            var d = Enumerable.Range(0, 3).Select(k => Math.Pow(l2[k] / l1[k] / (overall2 / overall1), 0.2)).ToArray();
            double alpha = 1 / d.Sum(v => v / 3);
            var expected = Enumerable.Range(0, 3).Select(k => alpha * d[k] * overall2 / 3 / l2[k]).ToArray();
            var w3 = Weights(balancer);
            TestData.Close(expected, w3, 1e-13);
            // Proposition 2: with α the difficulty factors leave the overall loss of period 2 unchanged.
            Assert.Equal(overall2, w3[0] * l2[0] + w3[1] * l2[1] + w3[2] * l2[2], 13);
            Assert.True(w3[0] / w2[0] * l2[0] / overall2 > w3[1] / w2[1] * l2[1] / overall2,
                "the task whose loss fell least (a: 3 → 2) gains weight over the one that fell most (b: 0.5 → 0.45 relative to overall)");
            Assert.Equal(2, balancer.PeriodsDone);
        }
    }

    /// <summary>Difficulty factors for the losses below: ((L_k³/L_k²)/(L³/L²))^β, with L^t = Σ w_k^t L_k^t.</summary>
    private static double[] Factors(LsbBalancer balancer, double beta)
    {
        double[] l1 = [3, 0.5, 1.5], l2 = [2, 0.45, 0.6], l3 = [1.5, 0.4, 0.3];
        End(balancer, l1);
        var w2 = Weights(balancer);
        End(balancer, l2);
        var w3 = Weights(balancer);
        End(balancer, l3);
        double o2 = Enumerable.Range(0, 3).Sum(k => w2[k] * l2[k]), o3 = Enumerable.Range(0, 3).Sum(k => w3[k] * l3[k]);
        return Enumerable.Range(0, 3).Select(k => Math.Pow(l3[k] / l2[k] / (o3 / o2), beta)).ToArray();
    }

    /// <summary>The paper's default: β is 0 in period 3, so its loss is Eq. 2's (weights π_k·L²/L_k², no factors),
    /// and grows by beta_step (0.1) a period: 0.1 in period 4.</summary>
    [Fact]
    public void BetaStartsAtZeroSoPeriodThreeIsEquationTwoAndThenGrows()
    {
        var (balancer, step, model) = Attached();
        using (model)
        using (step)
        {
            End(balancer, 3, 0.5, 1.5);
            var w2 = Weights(balancer);
            double[] l2 = [2, 0.45, 0.6];
            End(balancer, l2);
            double o2 = Enumerable.Range(0, 3).Sum(k => w2[k] * l2[k]);
            TestData.Close(l2.Select(v => o2 / 3 / v).ToArray(), Weights(balancer), 1e-13);
        }
        var (again, step2, model2) = Attached();
        using (model2)
        using (step2)
        {
            var d = Factors(again, 0.1);
            var w = Weights(again);
            double[] l3 = [1.5, 0.4, 0.3];
            double alpha = 1 / d.Sum(v => v / 3);
            // w_k⁴ = α·d_k·π_k·L³/L_k³: the ratio of two tasks' weights is d_a·L_b³/(d_b·L_a³).
            Assert.Equal(d[0] * l3[1] / (d[1] * l3[0]), w[0] / w[1], 12);
            Assert.NotEqual(1, d[0], 6);
            Assert.True(alpha > 0);
        }
    }

    /// <summary>Period 4's exponent: beta_step·(4 − 3), beta_step·(4 − 1), or the fixed β (1 by default).</summary>
    [Theory]
    [InlineData("grow_from_zero", 0.5, 0.5)]
    [InlineData("grow_from_period_one", 0.1, 0.3)]
    [InlineData("fixed", 0.1, 1.0)]
    public void EachBetaScheduleAndStepSetTheExponentOfPeriodFour(string schedule, double betaStep, double beta)
    {
        var (balancer, step, model) = Attached(TinyProblem.Options(("beta_schedule", schedule), ("beta_step", betaStep)));
        using (model)
        using (step)
        {
            var d = Factors(balancer, beta);
            var w = Weights(balancer);
            double[] l3 = [1.5, 0.4, 0.3];
            Assert.Equal(d[0] * l3[1] / (d[1] * l3[0]), w[0] / w[1], 12);
            Assert.Equal(d[2] * l3[1] / (d[1] * l3[2]), w[2] / w[1], 12);
        }
    }

    /// <summary>Task b's mean loss over a period is exactly 0: it keeps its weight (⅓) and a factor of 1, and nothing
    /// is infinite or NaN; the others are rescaled as usual.</summary>
    [Fact]
    public void ATaskWithAZeroMeanLossKeepsItsWeight()
    {
        var (balancer, step, model) = Attached(TinyProblem.Options(("beta_schedule", "fixed")));
        using (model)
        using (step)
        {
            End(balancer, 3, 0, 1.5);
            double overall = (3 + 0 + 1.5) / 3;
            TestData.Close([overall / 3 / 3, 1.0 / 3, overall / 3 / 1.5], Weights(balancer), 1e-14);
            End(balancer, 2, 0, 1);
            Assert.All(Weights(balancer), w => Assert.True(double.IsFinite(w) && w > 0, $"weight {w}"));
        }
    }

    [Fact]
    public void PeriodsEndAfterTheConfiguredNumberOfSteps()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        var balancer = (LsbBalancer)BalancerRegistry.Create("lsb", new BalancerOptions(new Dictionary<string, object?> { ["period"] = 3 }));
        using var step = TinyProblem.Step(model, balancer, Tasks);
        var sums = new double[3];
        for (int i = 0; i < 3; i++)
        {
            using var scope = DisposeScope.Enter();
            var l = TinyProblem.Values(step.Run(objective).Losses);
            for (int k = 0; k < 3; k++) sums[k] += l[k] / 3;
            Assert.Equal(i < 2 ? 0 : 1, balancer.PeriodsDone);
        }
        double overall = sums.Sum() / 3;
        TestData.Close(sums.Select(m => overall / 3 / m).ToArray(), Weights(balancer), 1e-12);
    }
}
