using NativeMtl.Kernels;
using NativeMtl.Models;
using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>
/// Auto-λ (Liu et al. 2022). Task weights λ (raw, from <c>initial_weight</c> 0.1) are learned by Adam (option <c>lr</c>,
/// 1e-4) on a finite-difference hypergradient, every <c>every</c> steps (1): a virtual SGD step
/// θ' = θ − lr·(∇_θ Σ λ_i L_i + weight decay·θ + momentum·buffer) (the official code's: the optimizer's weight decay
/// whatever the optimizer, SGD's momentum buffer once it has one), d = ∇_θ' of the main
/// tasks' loss on the look-ahead batch, θ± = θ ± ε·d with ε = <c>epsilon_scale</c>/‖d‖ (0.01), and
/// ∂/∂λ_i ≈ −lr·(L_i(θ+) − L_i(θ−)) / 2ε on the step's batch. All of it happens in place on the flat arenas with one
/// saved copy of θ (no model copies); batch-norm statistics are restored afterwards. Then the step trains on
/// Σ λ_i L_i with the new λ, from its forward pass run again exactly (as the official code runs it again): the
/// virtual step's backward pass releases the first graph, so the look-ahead never holds two graphs at once.
/// </summary>
public sealed class AutoLambdaBalancer(BalancerOptions options) : Balancer
{
    private readonly double _rate = options.Number("lr", 1e-4);
    private readonly double _initial = options.Number("initial_weight", 0.1);
    private readonly int _every = options.Integer("every", 1);
    private readonly double _epsilonScale = options.Number("epsilon_scale", 0.01);
    private Tensor? _lambda, _m, _v;
    private int _updates;

    public override GradientLevel Level => GradientLevel.LookAhead;

    public override Tensor Weights => _lambda!;

    protected override void OnAttach()
    {
        if (_every < 1) throw new ArgumentException($"balancer autolambda: option 'every' must be at least 1, got {_every}");
        if (!Tasks.Any(t => t.Role == TaskRole.Main)) throw new ArgumentException("balancer autolambda needs at least one main task");
        _lambda = Filled(_initial);
        _m = Filled(0);
        _v = Filled(0);
    }

    public override void Backward(StepContext step)
    {
        if (step.Step % _every == 0)
        {
            UpdateWeights(step, Hypergradient(step));
            step.ForwardAgain();
        }
        step.Backward(step.WeightedSum(_lambda!));
    }

    /// <summary>−lr·(L(θ+) − L(θ−)) / 2ε, leaving the parameters, their gradients and the buffers as they were. Every
    /// update of the arenas happens in place, one group at a time, so no second set of parameters or gradients is made.</summary>
    internal Tensor Hypergradient(StepContext step)
    {
        var groups = step.Optimizer.Groups;
        var saved = groups.Select(g => Ops.Clone(g.Values)).ToArray();
        foreach (var copy in saved) copy.MemoryRole = MemoryRole.BalancerBuffer;
        using var buffers = step.Model.KeepingBuffers();

        step.LookAheadBackward(step.WeightedSum(_lambda!));
        VirtualStep(step);
        step.Optimizer.ZeroGrad();
        step.BackwardMainLossOnLookAheadBatch();

        // ε = epsilon_scale/‖d‖ over all arenas; the arenas' gradients become ε·d in place.
        var normSquared = groups.Select(g => Ops.Reshape(Ops.GradientGram(Ops.Reshape(g.Grads, 1, -1)), [])).Aggregate(Ops.Add);
        var epsilon = Ops.Div(Tensors.Scalar(_epsilonScale, normSquared.DType, normSquared.Device),
            Ops.Scalar(ScalarOp.Clamp, Ops.Unary(UnaryOp.Sqrt, normSquared), 1e-30, double.PositiveInfinity));
        foreach (var g in groups) Ops.MulInto(g.Grads, epsilon);
        var plus = Perturbed(step, saved, Ops.AddInto);
        var minus = Perturbed(step, saved, Ops.SubInto);

        for (int i = 0; i < groups.Count; i++) Ops.CopyInto(saved[i], groups[i].Values);
        step.Optimizer.ZeroGrad();
        return Ops.Div(Ops.MulAdd(Ops.Sub(plus, minus), -step.LearningRate), Ops.MulAdd(epsilon, 2));
    }

    /// <summary>θ ← θ − lr·(g + weight decay·θ + momentum·buffer), a plain SGD step without touching the optimizer's
    /// state, as θ·(1 − lr·weight decay) − lr·g − lr·momentum·buffer in place (the gradients are spent on the way). The
    /// weight decay is the optimizer's whatever it is (Adam's and AdamW's too, as the official code adds the param
    /// group's weight_decay); momentum only SGD has.</summary>
    private static void VirtualStep(StepContext step)
    {
        var groups = step.Optimizer.Groups;
        var sgd = step.Optimizer as Sgd;
        double lr = step.LearningRate, weightDecay = step.Optimizer.WeightDecay, momentum = sgd?.Options.Momentum ?? 0;
        for (int i = 0; i < groups.Count; i++)
        {
            using var scope = DisposeScope.Enter();
            var (values, grads) = (groups[i].Values, groups[i].Grads);
            if (weightDecay != 0) Ops.MulInto(values, Tensors.Scalar(1 - lr * weightDecay, values.DType, values.Device));
            Ops.MulInto(grads, Tensors.Scalar(lr, grads.DType, grads.Device));
            Ops.SubInto(values, grads);
            if (sgd?.MomentumBuffer(i) is { } buffer && step.Optimizer.Steps > 0) Ops.SubInto(values, Ops.MulAdd(buffer, lr * momentum));
        }
    }

    /// <summary>The task losses at θ ± ε·d, with θ the saved parameters and ε·d in the arenas' gradients.</summary>
    private static Tensor Perturbed(StepContext step, Tensor[] saved, Action<Tensor, Tensor> apply)
    {
        var groups = step.Optimizer.Groups;
        for (int i = 0; i < groups.Count; i++)
        {
            Ops.CopyInto(saved[i], groups[i].Values);
            apply(groups[i].Values, groups[i].Grads);
        }
        return step.EvaluateLosses();
    }

    private void UpdateWeights(StepContext step, Tensor hypergradient) =>
        Ops.AdamStep(_lambda!, hypergradient, _m!, _v!, new AdamOptions(_rate), ++_updates);

    public override IEnumerable<(string Name, Tensor State)> State() => [("autolambda.lambda", _lambda!), ("autolambda.exp_avg", _m!), ("autolambda.exp_avg_sq", _v!)];

    public override IReadOnlyDictionary<string, string> Counters => new Dictionary<string, string> { ["autolambda.updates"] = _updates.ToString() };

    public override void RestoreCounters(IReadOnlyDictionary<string, string> counters) => _updates = int.Parse(counters["autolambda.updates"]);

    public override void Dispose()
    {
        foreach (var t in new[] { _lambda, _m, _v }) t?.Dispose();
    }
}
