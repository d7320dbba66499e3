using NativeMtl;
using NativeMtl.Balancers;
using NativeMtl.Raw;

namespace FocalLoss;

/// <summary>
/// A balancer of the simplest kind, to show the shape of one: each step weighs task k by K·(1/L_k) / Σ_j (1/L_j), the
/// losses taken as constants, so every weighted loss w_k·L_k is the same and the weights sum to K. Option
/// <c>epsilon</c> (1e-8) keeps a loss of 0 finite.
/// </summary>
public sealed class InverseLossBalancer(BalancerOptions options) : Balancer
{
    private readonly double _epsilon = options.Number("epsilon", 1e-8);
    private Tensor? _weights;

    public override GradientLevel Level => GradientLevel.Losses;

    public override Tensor Weights => _weights!;

    protected override void OnAttach() => _weights = Filled(1);

    public override void Backward(StepContext step)
    {
        var inverse = Ops.Cast(step.LossVector, DType.Float64).ToArray<double>().Select(l => 1 / (l + _epsilon)).ToArray();
        double sum = inverse.Sum();
        _weights?.Dispose();
        _weights = Vector(inverse.Select(v => inverse.Length * v / sum).ToArray());
        step.Backward(step.WeightedSum(_weights));
    }

    public override void Dispose() => _weights?.Dispose();
}
