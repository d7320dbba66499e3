using NativeMtl.Balancers;
using NativeMtl.Kernels;
using NativeMtl.Models;
using NativeMtl.Raw;

namespace NativeMtl.Tests.Balancers;

public class ClassWiseAndAutoLambdaTests
{
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
        var balancer = (ClassWiseBalancer)BalancerRegistry.Create("classwise", TinyProblem.Options(("lr", 0.01), ("warmup", 0.1), ("mode", mode)));
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

    /// <summary>−lr·⟨∇_θ' L_a(θ') on the look-ahead batch, ∇_θ L_i(θ)⟩ for each task, with θ' = θ − lr·(Σ λ_k ∇L_k +
    /// decay·θ + momentum·buffer) built by hand from the groups' values (the hypergradient the finite differences
    /// approximate), and the task gradients at θ (flattened over <paramref name="groups"/>).</summary>
    private static (double[] Hypergradient, double[][] TaskGradients) Direct(TinyObjective objective, IReadOnlyList<ParameterGroup> groups,
        double[] lambda, double lr, double decay, double[][]? momentumTerms)
    {
        var all = groups.SelectMany(g => g.Members.Select(m => m.Parameter.Value)).ToArray();
        var theta = groups.Select(g => g.Values.ToArray<double>()).ToArray();
        using var probe = DisposeScope.Enter();
        var losses = objective.Evaluate(false, false).Losses;
        var g = new[] { "a", "b", "c" }.Select(t => Autograd.Grad([losses[t]], all, retainGraph: true).SelectMany(x => x.ToArray<double>()).ToArray()).ToArray();
        int offset = 0;
        for (int i = 0; i < groups.Count; i++)
        {
            var ahead = theta[i].Select((v, j) => v - lr * (lambda[0] * g[0][offset + j] + lambda[1] * g[1][offset + j] + lambda[2] * g[2][offset + j]
                + decay * v + (momentumTerms?[i][j] ?? 0))).ToArray();
            Ops.CopyInto(Tensors.FromArray(ahead, ahead.Length), groups[i].Values);
            offset += ahead.Length;
        }
        var mainAhead = Autograd.Grad([objective.Evaluate(true, false).Losses["a"]], all).SelectMany(x => x.ToArray<double>()).ToArray();
        for (int i = 0; i < groups.Count; i++) Ops.CopyInto(Tensors.FromArray(theta[i], theta[i].Length), groups[i].Values);
        return (g.Select(gi => -lr * TinyProblem.Dot(mainAhead, gi)).ToArray(), g);
    }

    /// <summary>Adam's first step moves each λ by its lr against the sign of the hypergradient, and the step then
    /// trains at θ on Σ λ_new·L_k: the encoder takes Σ λ_new·∇L_k.</summary>
    [Fact]
    public void AutoLambdaTrainsOnTheUpdatedWeights()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("autolambda", TinyProblem.Options(("lr", 0.01))));
        var (h, g) = Direct(objective, step.Optimizer.Groups, [0.1, 0.1, 0.1], 0.1, 0, null);
        var expected = h.Select(v => 0.1 - 0.01 * Math.Sign(v)).ToArray();
        int encoderSize = (int)model.ParameterGroups.Encoder.Size;
        var encoder = Enumerable.Range(0, encoderSize).Select(p => expected[0] * g[0][p] + expected[1] * g[1][p] + expected[2] * g[2][p]).ToArray();
        using var scope = DisposeScope.Enter();
        var result = step.Run(objective);
        TestData.Close(expected, TinyProblem.Values(result.Weights), 1e-6);
        TestData.Close(encoder, model.ParameterGroups.Encoder.Grads.ToArray<double>(), 1e-6);
        // The virtual step's gradient, the look-ahead gradient and the training gradient; θ± are forward passes only.
        Assert.Equal(3, result.EncoderPasses);
    }

    /// <summary>With <c>every</c> 2, λ is updated on steps 0 and 2 only: step 1 trains on step 0's λ with one encoder
    /// pass, steps 0 and 2 take three.</summary>
    [Fact]
    public void AutoLambdaUpdatesItsWeightsEveryNSteps()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("autolambda", TinyProblem.Options(("every", 2), ("lr", 0.01))));
        var runs = Enumerable.Range(0, 3).Select(_ =>
        {
            using var scope = DisposeScope.Enter();
            var r = step.Run(objective);
            return (Lambda: TinyProblem.Values(r.Weights), r.EncoderPasses);
        }).ToList();
        Assert.Equal([3, 1, 3], runs.Select(r => r.EncoderPasses));
        Assert.All(runs[0].Lambda, l => Assert.NotEqual(0.1, l, 6));
        Assert.Equal(runs[0].Lambda, runs[1].Lambda);
        Assert.NotEqual(runs[1].Lambda, runs[2].Lambda);
    }

    /// <summary>ε = epsilon_scale/‖d‖ is the finite differences' step along d: at 0.01 they match the direct
    /// hypergradient to 1e-3, at 30 (a step far past where L is linear) they do not.</summary>
    [Theory]
    [InlineData(0.01, true)]
    [InlineData(30.0, false)]
    public void AutoLambdasEpsilonScaleIsTheFiniteDifferenceStep(double scale, bool close)
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        var balancer = (AutoLambdaBalancer)BalancerRegistry.Create("autolambda", TinyProblem.Options(("epsilon_scale", scale)));
        using var step = TinyProblem.Step(model, balancer, lr: 0.1);
        var (direct, _) = Direct(objective, step.Optimizer.Groups, [0.1, 0.1, 0.1], 0.1, 0, null);
        using var scope = DisposeScope.Enter();
        var context = new StepContext(model, TinyProblem.AuxiliarySetup, objective.Evaluate(false, false), objective, step.Optimizer, step: 0, stepsPerEpoch: 4,
            forwardDraws: 0, perClass: false);
        var finite = TinyProblem.Values(balancer.Hypergradient(context));
        double worst = Enumerable.Range(0, 3).Max(i => Math.Abs(finite[i] - direct[i]) / Math.Abs(direct[i]));
        Assert.True(close ? worst <= 1e-3 : worst > 1e-2, $"worst relative difference {worst}");
    }

    /// <summary>After one real step (so SGD's momentum buffer holds something), the finite-difference hypergradient
    /// matches the direct one whose virtual step adds the optimizer's weight decay (0.5, large enough to matter)
    /// and, for SGD, 0.9 × its momentum buffer: for Adam as for SGD, as the official code does.</summary>
    [Theory]
    [InlineData("sgd")]
    [InlineData("adam")]
    public void AutoLambdasVirtualStepTakesTheOptimizersWeightDecayAndMomentum(string name)
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        var balancer = (AutoLambdaBalancer)BalancerRegistry.Create("autolambda", TinyProblem.Options(("lr", 0.01)));
        const double lr = 0.1, decay = 0.5;
        Func<IReadOnlyList<ParameterGroup>, Optimizer> optimizer = name == "sgd"
            ? groups => new Sgd(groups, new SgdOptions(lr, Momentum: 0.9, WeightDecay: decay))
            : groups => new Adam(groups, new AdamOptions(lr, WeightDecay: decay));
        using var step = new MultiTaskStep(model, TinyProblem.AuxiliarySetup, balancer, optimizer, 4, 100);
        using (DisposeScope.Enter()) step.Run(objective);
        var groups = step.Optimizer.Groups;
        var momentum = step.Optimizer is Sgd sgd ? groups.Select((_, i) => sgd.MomentumBuffer(i)!.ToArray<double>().Select(v => 0.9 * v).ToArray()).ToArray() : null;
        Assert.True(momentum is null || momentum.Any(m => m.Any(v => v != 0)));
        var (direct, _) = Direct(objective, groups, TinyProblem.Values(balancer.Weights), lr, decay, momentum);
        var (withoutDecay, _) = Direct(objective, groups, TinyProblem.Values(balancer.Weights), lr, 0, momentum);
        using var scope = DisposeScope.Enter();
        step.Optimizer.ZeroGrad(); // as a step starts: the arenas still hold the first step's gradients
        var context = new StepContext(model, TinyProblem.AuxiliarySetup, objective.Evaluate(false, false), objective, step.Optimizer, step: 1, stepsPerEpoch: 4,
            forwardDraws: 0, perClass: false);
        var finite = TinyProblem.Values(balancer.Hypergradient(context));
        for (int i = 0; i < 3; i++)
        {
            Assert.True(Math.Abs(finite[i] - direct[i]) <= 1e-3 * Math.Abs(direct[i]), $"task {i}: finite {finite[i]}, direct {direct[i]}");
            Assert.True(Math.Abs(withoutDecay[i] - direct[i]) > 1e-2 * Math.Abs(direct[i]), $"task {i}: the decay changes the hypergradient too little to tell");
        }
    }
}
