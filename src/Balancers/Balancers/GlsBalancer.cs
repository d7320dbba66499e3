using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>Geometric loss strategy: L = (Π_k L_k)^(1/K), differentiated as it stands. Its weights are the
/// effective ones, ∂L/∂L_k = L / (K·L_k). A loss of exactly 0 (a batch without valid targets for the task) would make
/// the product 0 and every gradient 0/0: such a task sits the step out, and the mean is taken over the K' tasks with a
/// positive loss (weight 0 for the others; L = 0 with no gradient when there are none).</summary>
public sealed class GlsBalancer : Balancer
{
    private Tensor? _weights;

    public override GradientLevel Level => GradientLevel.Losses;

    public override Tensor Weights => _weights!;

    protected override void OnAttach() => _weights = Filled(1);

    public override void Backward(StepContext step)
    {
        var losses = F.Detach(step.LossVector);
        var present = Gradients.Positive(losses);
        var count = Ops.Sum(present);
        var logs = F.Log(F.Where(present, step.LossVector, Tensors.OnesLike(losses)));
        var total = F.Mul(F.Exp(F.Div(F.Sum(logs), Ops.Scalar(ScalarOp.Clamp, count, 1, double.PositiveInfinity))), Ops.Scalar(ScalarOp.Clamp, count, 0, 1));
        var weights = Ops.Div(F.Detach(total), Ops.Mul(count, Ops.Where(present, losses, Tensors.OnesLike(losses))));
        Ops.CopyInto(Ops.Where(present, weights, Tensors.ZerosLike(weights)), _weights!);
        step.Backward(total);
    }

    public override void Dispose() => _weights?.Dispose();
}
