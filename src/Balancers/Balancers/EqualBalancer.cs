namespace NativeMtl.Balancers;

/// <summary>L = Σ_k L_k: every task weighs 1.</summary>
public sealed class EqualBalancer : Balancer
{
    private Tensor? _weights;

    public override GradientLevel Level => GradientLevel.Losses;

    public override Tensor Weights => _weights!;

    protected override void OnAttach() => _weights = Filled(1);

    public override void Backward(StepContext step) => step.Backward(step.WeightedSum(Weights));

    public override void Dispose() => _weights?.Dispose();
}
