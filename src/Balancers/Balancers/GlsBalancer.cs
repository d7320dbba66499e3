using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>Geometric loss strategy: L = (Π_k L_k)^(1/K), differentiated as it stands. Its weights are the
/// effective ones, ∂L/∂L_k = L / (K·L_k).</summary>
public sealed class GlsBalancer : Balancer
{
    private Tensor? _weights;

    public override GradientLevel Level => GradientLevel.Losses;

    public override Tensor Weights => _weights!;

    protected override void OnAttach() => _weights = Filled(1);

    public override void Backward(StepContext step)
    {
        var total = F.Exp(F.Mean(F.Log(step.LossVector)));
        var losses = F.Detach(step.LossVector);
        Ops.CopyInto(Ops.Div(Ops.MulAdd(F.Detach(total), 1.0 / Tasks.Count), losses), _weights!);
        step.Backward(total);
    }

    public override void Dispose() => _weights?.Dispose();
}
