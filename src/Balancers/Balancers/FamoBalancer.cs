using NativeMtl.Kernels;
using NativeMtl.Models;
using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>
/// FAMO (Liu et al. 2023, "Fast Adaptive Multitask Optimization"): O(1) per step whatever K. Logits w (from 0) give
/// z = softmax(w); the step trains on Σ_k z_k·log(L_k)/c with c = Σ_k z_k/L_k (detached), i.e. weights z_k/(c·L_k),
/// which are the ones reported. After the update the losses are evaluated again on the same batch (one more forward
/// pass, as the official code does; batch-norm statistics are put back afterwards, so only the training forward
/// pass moves them), and w takes one Adam step (option <c>lr</c> 0.025, weight decay <c>gamma</c> 1e-3) along
/// J_softmaxᵀ·δ with δ_k = log L_k(before) − log L_k(after): tasks whose loss fell least gain weight. Losses get
/// 1e-8 added before the logarithms, as in the official code (whose minimum losses are 0).
/// </summary>
public sealed class FamoBalancer(BalancerOptions options) : Balancer
{
    private const double Floor = 1e-8;
    private readonly double _rate = options.Number("lr", 0.025);
    private readonly double _decay = options.Number("gamma", 1e-3);
    private Tensor? _logits, _m, _v, _weights, _before;
    private int _updates;

    public override GradientLevel Level => GradientLevel.Losses;

    public override Tensor Weights => _weights!;

    protected override void OnAttach()
    {
        _logits = Filled(0);
        _m = Filled(0);
        _v = Filled(0);
        _weights = Filled(1.0 / Tasks.Count);
        _before = Filled(1);
    }

    public override void Backward(StepContext step)
    {
        var losses = Ops.Scalar(ScalarOp.MulAdd, F.Detach(step.LossVector), 1, Floor);
        var z = Ops.Softmax(_logits!, 0);
        var ratio = Ops.Div(z, losses);
        Ops.CopyInto(Ops.Div(ratio, Ops.Sum(ratio)), _weights!);
        Ops.CopyInto(losses, _before!);
        step.Backward(step.WeightedSum(_weights!));
    }

    public override void AfterUpdate(StepContext step)
    {
        Tensor after;
        using (step.Model.KeepingBuffers()) after = Ops.Scalar(ScalarOp.MulAdd, step.EvaluateLosses(), 1, Floor);
        var delta = Ops.Sub(Ops.Unary(UnaryOp.Log, _before!), Ops.Unary(UnaryOp.Log, after));
        Ops.AdamStep(_logits!, SoftmaxTransposeTimes(Ops.Softmax(_logits!, 0), delta), _m!, _v!, new AdamOptions(_rate, WeightDecay: _decay), ++_updates);
    }

    /// <summary>J_softmax(w)ᵀ·δ = z ⊙ (δ − ⟨z, δ⟩), for z = softmax(w).</summary>
    internal static Tensor SoftmaxTransposeTimes(Tensor z, Tensor delta) => Ops.Mul(z, Ops.Sub(delta, Ops.Sum(Ops.Mul(z, delta))));

    public override IEnumerable<(string Name, Tensor State)> State() =>
        [("famo.logits", _logits!), ("famo.exp_avg", _m!), ("famo.exp_avg_sq", _v!)];

    public override IReadOnlyDictionary<string, string> Counters => new Dictionary<string, string> { ["famo.updates"] = _updates.ToString() };

    public override void RestoreCounters(IReadOnlyDictionary<string, string> counters) => _updates = int.Parse(counters["famo.updates"]);

    public override void Dispose()
    {
        foreach (var t in new[] { _logits, _m, _v, _weights, _before }) t?.Dispose();
    }
}
