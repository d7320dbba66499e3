using NativeMtl.Balancers;
using NativeMtl.Kernels;
using NativeMtl.Models;
using NativeMtl.Raw;

namespace NativeMtl.Tests.Balancers;

public class ClassWiseAndAutoLambdaTests
{
    private static BalancerOptions Options(params (string Key, object Value)[] values) =>
        new(values.ToDictionary(v => v.Key, v => (object?)v.Value));

    /// <summary>Main task a regresses a target; auxiliary task b has two classes of pixels: on class 0 its target
    /// is a's target (informative), on class 1 fresh noise at every evaluation (pure noise labels).</summary>
    private sealed class NoisyClassObjective(TinyModel model) : ITaskObjective
    {
        private readonly Tensor _x = Tensors.Normal(new Shape(4, 2, 4, 4), new Generator(1), dtype: DType.Float64).DetachFromScope();
        private readonly Tensor _target = Tensors.Normal(new Shape(4, 1, 4, 4), new Generator(2), dtype: DType.Float64).DetachFromScope();
        private readonly Tensor _classOne = Ops.Reshape(Tensors.FromArray(Enumerable.Range(0, 64).Select(i => i % 2 == 0 ? 0.0 : 1.0).ToArray(), 64), 4, 1, 4, 4).DetachFromScope();
        private readonly Generator _noise = new(3);

        public TaskLosses Evaluate(bool lookAheadBatch, bool perClass, IReadOnlyCollection<string>? tasks = null)
        {
            var output = model.Forward(_x);
            var noise = Tensors.Normal(new Shape(4, 1, 4, 4), _noise, std: 3, dtype: DType.Float64);
            var auxTarget = Ops.Where(_classOne, noise, _target);
            var errorA = F.Square(F.Sub(output.Predictions["a"], _target));
            var errorB = F.Square(F.Sub(output.Predictions["b"], auxTarget));
            var classZero = Ops.MulAdd(_classOne, -1, 1);
            Tensor ClassMean(Tensor mask) => F.Reshape(F.Div(F.Sum(F.Mul(errorB, mask)), Ops.Sum(mask)), 1);
            var classes = new Dictionary<string, Tensor> { ["b"] = F.Concat(0, ClassMean(classZero), ClassMean(_classOne)) };
            var losses = new Dictionary<string, Tensor> { ["a"] = F.Mean(errorA), ["b"] = F.Mean(errorB) };
            return new TaskLosses(output.SharedFeature, losses, new Dictionary<string, Tensor>(), perClass ? classes : new Dictionary<string, Tensor>());
        }
    }

    [Theory]
    [InlineData("exact")]
    [InlineData("jvp")]
    public void ClassWiseWeightsOfAPureNoiseClassFallBelowThoseOfAnInformativeClass(string mode)
    {
        using var model = new TinyModel(["a", "b"], seed: 4);
        var objective = new NoisyClassObjective(model);
        var balancer = (ClassWiseBalancer)BalancerRegistry.Create("classwise", Options(("lr", 0.01), ("warmup", 0.1), ("mode", mode)));
        BalancedTask[] tasks = [new("a", TaskRole.Main), new("b", TaskRole.Auxiliary)];
        using var step = TinyProblem.Step(model, balancer, tasks, lr: 0.05, totalSteps: 200, classCounts: new Dictionary<string, int> { ["b"] = 2 });
        for (int i = 0; i < 200; i++)
        {
            using var scope = DisposeScope.Enter();
            step.Run(objective);
        }
        var w = TinyProblem.Values(balancer.ClassWeights);
        Assert.True(w[1] < w[0], $"noise class weight {w[1]} is not below the informative class's {w[0]}");
        Assert.True(w[1] < 1, $"noise class weight {w[1]} did not fall");
    }

    [Fact]
    public void ClassWiseNeedsClassesForEveryAuxiliaryTask()
    {
        using var model = new TinyModel(["a", "b"]);
        BalancedTask[] tasks = [new("a", TaskRole.Main), new("b", TaskRole.Auxiliary)];
        var e = Assert.Throws<ArgumentException>(() => TinyProblem.Step(model, BalancerRegistry.Create("classwise"), tasks));
        Assert.Equal("balancer classwise: auxiliary task 'b' has no classes (segmentation, depth and normals have)", e.Message);
    }

    [Fact]
    public void AutoLambdaFiniteDifferenceHypergradientMatchesTheDirectAndTheForwardModeOnes()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        var balancer = (AutoLambdaBalancer)BalancerRegistry.Create("autolambda");
        const double lr = 0.1;
        using var step = TinyProblem.Step(model, balancer, lr: lr);
        var all = model.ParameterGroups.All.SelectMany(g => g.Members.Select(m => m.Parameter.Value)).ToArray();
        var before = model.ParameterGroups.All.Select(g => g.Values.ToArray<double>()).ToArray();

        // Direct: ∂L_main(θ')/∂λ_i = −lr·⟨∇_θ' L_main(θ'), ∇_θ L_i(θ)⟩ with θ' = θ − lr·∇_θ Σ λ L (λ = 0.1).
        double[][] taskGradients;
        double[] mainAhead;
        using (var probe = DisposeScope.Enter())
        {
            var losses = objective.Evaluate(false, false).Losses;
            taskGradients = new[] { "a", "b", "c" }.Select(t => Autograd.Grad([losses[t]], all, retainGraph: true).SelectMany(g => g.ToArray<double>()).ToArray()).ToArray();
            var combined = taskGradients[0].Select((v, j) => 0.1 * (v + taskGradients[1][j] + taskGradients[2][j])).ToArray();
            int offset = 0;
            foreach (var group in model.ParameterGroups.All)
            {
                var values = group.Values.ToArray<double>().Select((v, j) => v - lr * combined[offset + j]).ToArray();
                Ops.CopyInto(Tensors.FromArray(values, values.Length), group.Values);
                offset += values.Length;
            }
            var ahead = objective.Evaluate(true, false).Losses["a"];
            mainAhead = Autograd.Grad([ahead], all).SelectMany(g => g.ToArray<double>()).ToArray();
            for (int i = 0; i < before.Length; i++) Ops.CopyInto(Tensors.FromArray(before[i], before[i].Length), model.ParameterGroups.All[i].Values);
        }
        var direct = taskGradients.Select(g => -lr * TinyProblem.Dot(mainAhead, g)).ToArray();

        // Forward mode: with every parameter carrying ∇_θ' L_main(θ') as its tangent, each loss's tangent at θ is the
        // same inner product, from one pass.
        double[] forward;
        using (var probe = DisposeScope.Enter())
        {
            int offset = 0;
            foreach (var p in all)
            {
                p.Tangent = Tensors.FromArray(mainAhead[offset..(offset + (int)p.Count)], p.Shape);
                offset += (int)p.Count;
            }
            using (GradMode.NoGrad())
            {
                var losses = objective.Evaluate(false, false).Losses;
                forward = new[] { "a", "b", "c" }.Select(t => -lr * losses[t].Tangent!.Item()).ToArray();
            }
            foreach (var p in all) p.Tangent = null;
        }
        for (int i = 0; i < 3; i++)
            Assert.True(Math.Abs(forward[i] - direct[i]) <= 1e-10 * Math.Abs(direct[i]), $"task {i}: forward mode {forward[i]:R}, direct {direct[i]:R}");

        using var scope = DisposeScope.Enter();
        var losses2 = objective.Evaluate(false, false);
        var context = new StepContext(model, TinyProblem.AuxiliarySetup, losses2, objective, step.Optimizer, step: 0, stepsPerEpoch: 4, forwardDraws: 0, perClass: false);
        var finite = TinyProblem.Values(balancer.Hypergradient(context));
        for (int i = 0; i < 3; i++)
            Assert.True(Math.Abs(finite[i] - forward[i]) <= 1e-3 * Math.Abs(forward[i]), $"task {i}: finite {finite[i]}, forward mode {forward[i]}");
        for (int i = 0; i < before.Length; i++)
            Assert.Equal(before[i], model.ParameterGroups.All[i].Values.ToArray<double>());
        Assert.All(model.ParameterGroups.All, g => Assert.All(g.Grads.ToArray<double>(), v => Assert.Equal(0.0, v)));
    }

    [Fact]
    public void AutoLambdaTrainsOnTheUpdatedWeights()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("autolambda", Options(("lr", 0.01))));
        using var scope = DisposeScope.Enter();
        var result = step.Run(objective);
        var lambda = TinyProblem.Values(result.Weights);
        // Adam's first step moves every weight by lr (times the sign of its hypergradient).
        Assert.All(lambda, l => Assert.Equal(0.01, Math.Abs(l - 0.1), 6));
        // The virtual step's gradient, the look-ahead gradient and the training gradient; θ± are forward passes only.
        Assert.Equal(3, result.EncoderPasses);
    }
}
