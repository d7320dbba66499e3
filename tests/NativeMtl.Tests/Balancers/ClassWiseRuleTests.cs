using NativeMtl.Balancers;
using NativeMtl.Kernels;
using NativeMtl.Models;
using NativeMtl.Raw;

namespace NativeMtl.Tests.Balancers;

/// <summary>
/// The class-wise rule pinned on the Float64 tiny problem, against gradients taken by hand with reverse mode: which
/// parameters each inner product pairs, its sign, one Adam step (whose first moment holds (1 − β1)·g), the warm-up
/// boundary and the clamp at 0. Task a is main; task b's pixels fall into two classes (even and odd positions).
/// </summary>
public class ClassWiseRuleTests
{
    private const double SgdLr = 0.1;

    private static TinyObjective Objective(TinyModel model)
    {
        var even = Ops.Reshape(Tensors.FromArray(Enumerable.Range(0, 18).Select(i => i % 2 == 0 ? 1.0 : 0.0).ToArray(), 18), 2, 1, 3, 3).DetachFromScope();
        var odd = Ops.MulAdd(even, -1, 1).DetachFromScope();
        Tensor ClassMean(Tensor error, Tensor mask) => F.Reshape(F.Div(F.Sum(F.Mul(error, mask)), Ops.Sum(mask)), 1);
        return new TinyObjective(model) { PerClass = (error, _) => F.Concat(0, ClassMean(error, even), ClassMean(error, odd)) };
    }

    private static (MultiTaskStep Step, ClassWiseBalancer Balancer) Setup(TinyModel model, string mode, double rate)
    {
        var balancer = (ClassWiseBalancer)BalancerRegistry.Create("classwise", new BalancerOptions(new Dictionary<string, object?>
        {
            ["mode"] = mode, ["lr"] = rate, ["warmup"] = 0.5,
        }));
        BalancedTask[] tasks = [new("a", TaskRole.Main), new("b", TaskRole.Auxiliary)];
        // Two steps at warm-up 0.5: the first is warm-up, the second updates.
        var step = TinyProblem.Step(model, balancer, tasks, lr: SgdLr, totalSteps: 2, classCounts: new Dictionary<string, int> { ["b"] = 2 });
        return (step, balancer);
    }

    /// <summary>∂L_a/∂θ_enc, and ∂L_b^c/∂θ_enc for both classes, at the parameters as they are.</summary>
    private static (double[] Main, double[][] Classes) Gradients(TinyModel model, TinyObjective objective)
    {
        using var scope = DisposeScope.Enter();
        var losses = objective.Evaluate(false, true);
        var encoder = model.ParameterGroups.Encoder.Members.Select(m => m.Parameter.Value).ToArray();
        double[] Of(Tensor loss) => Autograd.Grad([loss], encoder, retainGraph: true).SelectMany(g => g.ToArray<double>()).ToArray();
        var perClass = losses.PerClassLosses["b"];
        return (Of(losses.Losses["a"]), [Of(F.Reshape(F.Slice(perClass, 0, 0, 1), [])), Of(F.Reshape(F.Slice(perClass, 0, 1, 2), []))]);
    }

    private static double[] State(ClassWiseBalancer balancer, string name) => TinyProblem.Values(balancer.State().Single(s => s.Name == name).State);

    private static void Run(MultiTaskStep step, ITaskObjective objective)
    {
        using var scope = DisposeScope.Enter();
        step.Run(objective);
    }

    [Theory]
    [InlineData("exact")]
    [InlineData("jvp")]
    public void WarmUpStepsLeaveTheWeightsAtOne(string mode)
    {
        using var model = new TinyModel(["a", "b"], seed: 6);
        var objective = Objective(model);
        var (step, balancer) = Setup(model, mode, 0.01);
        using var _ = step;
        Run(step, objective);
        Assert.Equal([1.0, 1.0], TinyProblem.Values(balancer.ClassWeights));
        Assert.Equal([0.0, 0.0], State(balancer, "classwise.exp_avg"));
    }

    [Fact]
    public void ExactPairsTheMainGradientNowWithTheClassGradientsOfTheStepBefore()
    {
        using var model = new TinyModel(["a", "b"], seed: 6);
        var objective = Objective(model);
        var (step, balancer) = Setup(model, "exact", 0.01);
        using (step)
        {
            var (_, before) = Gradients(model, objective);
            Run(step, objective);
            var (mainNow, _) = Gradients(model, objective);
            Run(step, objective);
            var g = before.Select(c => -TinyProblem.Dot(mainNow, c)).ToArray();
            AssertOneAdamStep(balancer, g, 0.01);
        }
    }

    [Fact]
    public void ForwardModePairsBothGradientsAtTheCurrentParameters()
    {
        using var model = new TinyModel(["a", "b"], seed: 6);
        var objective = Objective(model);
        var (step, balancer) = Setup(model, "jvp", 0.01);
        using (step)
        {
            Run(step, objective);
            var (mainNow, classesNow) = Gradients(model, objective);
            Run(step, objective);
            AssertOneAdamStep(balancer, classesNow.Select(c => -TinyProblem.Dot(mainNow, c)).ToArray(), 0.01);
        }
    }

    [Theory]
    [InlineData("exact")]
    [InlineData("jvp")]
    public void AWeightTheStepWouldTakeBelowZeroStopsAtZero(string mode)
    {
        using var model = new TinyModel(["a", "b"], seed: 6);
        var objective = Objective(model);
        var (step, balancer) = Setup(model, mode, 3.0);
        using var _ = step;
        Run(step, objective);
        Run(step, objective);
        var g = State(balancer, "classwise.exp_avg").Select(m => m / 0.1).ToArray();
        // One Adam step of size 3 moves each weight by about ∓3: from 1 to about 4 where g < 0, to about −2, kept at 0, where g > 0.
        var w = TinyProblem.Values(balancer.ClassWeights);
        for (int c = 0; c < g.Length; c++) Assert.Equal(g[c] > 0 ? 0 : 1 - 3 * g[c] / (Math.Abs(g[c]) + 1e-8), w[c], 10);
        Assert.Contains(g, x => x > 0);
    }

    /// <summary>First moment (1 − β1)·g, and the weight moved by Adam's first step, lr·g/(|g| + ε), from 1.</summary>
    private static void AssertOneAdamStep(ClassWiseBalancer balancer, double[] g, double rate)
    {
        var m = State(balancer, "classwise.exp_avg");
        for (int c = 0; c < g.Length; c++)
            Assert.True(Math.Abs(m[c] - 0.1 * g[c]) <= 1e-12 * Math.Abs(g[c]), $"class {c}: exp_avg {m[c]:R}, expected {0.1 * g[c]:R}");
        var w = TinyProblem.Values(balancer.ClassWeights);
        for (int c = 0; c < g.Length; c++)
            Assert.Equal(Math.Max(0, 1 - rate * g[c] / (Math.Abs(g[c]) + 1e-8)), w[c], 12);
        Assert.True(g.All(x => Math.Abs(x) > 1e-6), "an inner product is too small to pin its sign");
    }
}
