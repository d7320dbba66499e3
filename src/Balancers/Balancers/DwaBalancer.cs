using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>Dynamic weight average (Liu et al. 2019): w_k = K·softmax(r / T)_k with r_k = L_k(e−1) / L_k(e−2), the
/// ratio of the task's mean losses over the last two epochs; weights 1 for the first two epochs. Option
/// <c>temperature</c> (2). Epoch means accumulate on the device. A task whose mean loss two epochs back is exactly 0
/// (no valid targets all epoch) has no ratio to measure: it counts as 1 (unchanged).</summary>
public sealed class DwaBalancer(BalancerOptions options) : Balancer
{
    private readonly double _temperature = options.Number("temperature", 2);
    private Tensor? _weights, _epochSum, _last, _beforeLast;
    private int _epochsSeen;

    public override GradientLevel Level => GradientLevel.Losses;

    public override Tensor Weights => _weights!;

    protected override void OnAttach()
    {
        _weights = Filled(1);
        _epochSum = Filled(0);
        _last = Filled(0);
        _beforeLast = Filled(0);
    }

    public override void Backward(StepContext step)
    {
        Ops.AddInto(_epochSum!, F.Detach(step.LossVector));
        step.Backward(step.WeightedSum(_weights!));
    }

    public override void AfterUpdate(StepContext step)
    {
        if ((step.Step + 1) % step.StepsPerEpoch != 0) return;
        Ops.CopyInto(_last!, _beforeLast!);
        Ops.CopyInto(Ops.MulAdd(_epochSum!, 1.0 / step.StepsPerEpoch), _last!);
        Ops.FillInto(_epochSum!, 0);
        if (++_epochsSeen < 2) return;
        var measured = Gradients.Positive(_beforeLast!);
        var ratio = Ops.Where(measured, Ops.Div(_last!, _beforeLast!), Tensors.OnesLike(_last!));
        Ops.CopyInto(Ops.MulAdd(Ops.Softmax(Ops.MulAdd(ratio, 1 / _temperature), 0), Tasks.Count), _weights!);
    }

    public override IEnumerable<(string Name, Tensor State)> State() =>
        [("dwa.weights", _weights!), ("dwa.epoch_sum", _epochSum!), ("dwa.last", _last!), ("dwa.before_last", _beforeLast!)];

    public override IReadOnlyDictionary<string, string> Counters => new Dictionary<string, string> { ["dwa.epochs"] = _epochsSeen.ToString() };

    public override void RestoreCounters(IReadOnlyDictionary<string, string> counters) => _epochsSeen = int.Parse(counters["dwa.epochs"]);

    public override void Dispose()
    {
        foreach (var t in new[] { _weights, _epochSum, _last, _beforeLast }) t?.Dispose();
    }
}
