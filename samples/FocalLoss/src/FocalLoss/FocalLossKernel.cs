using NativeMtl;

namespace FocalLoss;

/// <summary>The focal loss on a GPU: see the run-time module below.</summary>
public static class FocalLossKernel
{
    public static (Tensor Loss, Tensor Gradient) Forward(Tensor logits, Tensor labels, double gamma, int ignoreIndex) =>
        throw new NotSupportedException($"FocalLoss: no kernel for {logits.Device} yet");
}
