namespace NativeMtl.Balancers;

/// <summary>L = Σ_k w_k L_k with configured weights (option <c>weights</c>: task → weight; unlisted tasks weigh 1).</summary>
public sealed class FixedBalancer(BalancerOptions options) : Balancer
{
    private readonly IReadOnlyDictionary<string, double> _configured = options.PerTask("weights") ?? new Dictionary<string, double>();
    private Tensor? _weights;

    public override GradientLevel Level => GradientLevel.Losses;

    public override Tensor Weights => _weights!;

    protected override void OnAttach()
    {
        var unknown = _configured.Keys.FirstOrDefault(k => Tasks.All(t => t.Name != k));
        if (unknown is not null) throw new ArgumentException($"balancer fixed: option 'weights' names '{unknown}', which is not a task");
        _weights = Vector(Tasks.Select(t => _configured.GetValueOrDefault(t.Name, 1.0)).ToArray());
    }

    public override void Backward(StepContext step) => step.Backward(step.WeightedSum(Weights));

    public override void Dispose() => _weights?.Dispose();
}
