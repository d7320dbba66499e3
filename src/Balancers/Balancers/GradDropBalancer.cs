using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>
/// GradDrop (Chen et al. 2020, "Just Pick a Sign: Optimizing Deep Multitask Models with Gradient Sign Dropout"), at
/// the shared feature z as the paper and LibMTL apply it: at each position of z, a sign is drawn with the positive
/// sign's purity P = ½·(1 + Σ_k s_k / Σ_k |s_k|) (s_k task k's gradient there times sign(z), summed over the batch),
/// and the tasks whose s_k has the other sign are dropped from that position's gradient (kept at <c>leak</c>, 0 by
/// default); the encoder takes the sum of what is left, through the fused kernel of <see cref="Ops.GradDrop"/>.
/// The draws are Philox counters (option <c>seed</c>, then step × positions + position), so a run and its resumption
/// draw the same. Each head takes its own gradient; the weights reported are 1.
/// </summary>
public sealed class GradDropBalancer(BalancerOptions options) : Balancer
{
    private readonly double _leak = options.Number("leak", 0);
    private readonly ulong _seed = (ulong)options.Integer("seed", 0);
    private Tensor? _ones;

    public override GradientLevel Level => GradientLevel.Feature;

    public override Tensor Weights => _ones!;

    protected override void OnAttach()
    {
        if (_leak is < 0 or > 1) throw new ArgumentException($"balancer graddrop: leak {_leak} must be in [0, 1]");
        if (Tasks.Count > Kernels.Cpu.CpuBackend.GradDropMaxTasks)
            throw new ArgumentException($"balancer graddrop: {Tasks.Count} tasks; at most {Kernels.Cpu.CpuBackend.GradDropMaxTasks} are supported");
        _ones = Filled(1);
    }

    public override void Backward(StepContext step)
    {
        var z = step.Current.SharedFeature;
        var stacked = Gradients.Stack(TaskNames.Select(step.FeatureGradient).ToList());
        var grads = Ops.Reshape(stacked, [Tasks.Count, .. z.Shape.ToArray()]);
        ulong positions = (ulong)(z.Shape[0] == 0 ? 0 : z.Count / z.Shape[0]);
        step.BackwardEncoder(Ops.GradDrop(grads, z, _seed, (ulong)step.Step * positions, _leak));
        step.ApplyHeadGradients(_ones!);
    }

    public override void Dispose() => _ones?.Dispose();
}
