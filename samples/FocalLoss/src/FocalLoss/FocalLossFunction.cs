using NativeMtl;
using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace FocalLoss;

/// <summary>
/// The focal loss (Lin et al., 2017, without α) as a differentiable function of its own: per pixel
/// FL = −(1 − p_y)^γ · log p_y, with p the softmax of the logits over the channels and y the label; 0 where the label is
/// the ignore label. One fused pass computes the loss and its gradient with respect to the logits (on the CPU here, by
/// a CUDA C kernel compiled at run time on a GPU, see <see cref="FocalLossKernel"/>); the backward rule scales that
/// gradient by the incoming one, and the forward-mode rule contracts it with the logits' tangent. Labels outside [0, C)
/// other than the ignore label are an error on the CPU and a NaN loss on a GPU.
/// </summary>
public static class FocalLossFunction
{
    /// <summary>[N, H, W] per-pixel losses of logits [N, C, H, W] (Float32 or Float64) against Int32 labels [N, H, W].</summary>
    public static Tensor PerPixel(Tensor logits, Tensor labels, double gamma, int ignoreIndex = -1)
    {
        if (logits.Rank != 4 || labels.Rank != 3 || labels.Shape[0] != logits.Shape[0] || labels.Shape[1] != logits.Shape[2] || labels.Shape[2] != logits.Shape[3])
            throw new ArgumentException($"FocalLoss: logits {logits.Shape} and labels {labels.Shape} do not match as [N, C, H, W] and [N, H, W]");
        if (labels.DType != DType.Int32) throw new ArgumentException($"FocalLoss: labels must be Int32, not {labels.DType}");
        if (gamma < 0) throw new ArgumentException($"FocalLoss: gamma must be at least 0, not {gamma}");
        var (loss, gradient) = logits.Device.Kind == DeviceKind.Cpu
            ? FocalLossCpu.Forward(logits, labels, gamma, ignoreIndex)
            : FocalLossKernel.Forward(logits, labels, gamma, ignoreIndex);
        using (gradient)
            return Autograd.Record("FocalLoss", loss, [logits], [gradient],
                (gradOutput, saved, needs) => [needs[0] ? Ops.Mul(saved[0]!, Ops.Unsqueeze(gradOutput, 1)) : null],
                tangents => Ops.Reduce(ReduceOp.Sum, Ops.Mul(gradient, tangents[0]!), [1]));
    }
}
