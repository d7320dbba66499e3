using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>
/// Gradient similarity (Du et al. 2018): the shared parameters take an auxiliary task's gradient only while it
/// points the same way as the main task's, cos(∇L_0, ∇L_i) &gt; 0. Unweighted (option <c>weighted</c> false, the
/// default) adds it whole; weighted adds it scaled by the cosine. Task-specific parameters always take their
/// own task's gradient. The weights are the factors applied to the shared gradients. Option <c>gram</c> as for the
/// gradient-surgery methods (<see cref="GramBalancer"/>): <c>layerwise</c> takes the cosines without the K×P matrix.
/// </summary>
public sealed class GradSimBalancer(BalancerOptions options) : Balancer
{
    private readonly bool _weighted = options.Flag("weighted", false);
    private readonly bool _layerwise = GramBalancer.IsLayerwise(options, "gradsim", null);
    private Tensor? _weights, _ones;

    public override GradientLevel Level => GradientLevel.Parameters;

    protected override bool RequiresOneMainTask => true;

    public override Tensor Weights => _weights!;

    protected override void OnAttach()
    {
        _weights = Filled(1);
        _ones = Filled(1);
    }

    public override void Backward(StepContext step)
    {
        var order = OrderedTasks();
        var gradients = _layerwise ? null : step.SharedGradients(order);
        var cosines = Gradients.CosinesWithFirst(gradients is null ? Ops.Cast(step.LayerwiseGram(order), _weights!.DType) : Ops.GradientGram(gradients));
        var positive = Gradients.Positive(cosines);
        var factors = _weighted ? Ops.Mul(positive, cosines) : positive;
        Ops.CopyInto(Tensors.Ones(new Shape(1), factors.DType, factors.Device), Ops.Slice(factors, 0, 0, 1));
        if (gradients is null) step.BackwardCombination(order, factors);
        else step.AddSharedGradient(Ops.GradientCombine(gradients, factors));
        step.ApplyHeadGradients(_ones!);
        Ops.CopyInto(Gradients.Reorder(factors, order, TaskNames), _weights!);
    }

    /// <summary>The main task first, then the auxiliary tasks.</summary>
    private List<string> OrderedTasks() => [MainTask, .. AuxiliaryTaskNames];

    public override void Dispose()
    {
        _weights?.Dispose();
        _ones?.Dispose();
    }
}
