using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>Random loss weighting (Lin et al. 2021, as LibMTL): each step the weights are softmax of standard
/// normal samples. Option <c>seed</c>; the stream's position is a checkpoint counter.</summary>
public sealed class RlwBalancer(BalancerOptions options) : Balancer
{
    private readonly Generator _generator = new((ulong)options.Integer("seed", 0));
    private Tensor? _weights;

    public override GradientLevel Level => GradientLevel.Losses;

    public override Tensor Weights => _weights!;

    protected override void OnAttach() => _weights = Filled(1.0 / Tasks.Count);

    public override void Backward(StepContext step)
    {
        var samples = Tensors.Normal(new Shape(Tasks.Count), _generator, dtype: Setup.DType, device: Setup.Device);
        Ops.CopyInto(Ops.Softmax(samples, 0), _weights!);
        step.Backward(step.WeightedSum(_weights!));
    }

    public override IReadOnlyDictionary<string, string> Counters =>
        new Dictionary<string, string> { ["rlw.generator_offset"] = _generator.Offset.ToString() };

    public override void RestoreCounters(IReadOnlyDictionary<string, string> counters) =>
        _generator.Offset = ulong.Parse(counters["rlw.generator_offset"]);

    public override void Dispose() => _weights?.Dispose();
}
