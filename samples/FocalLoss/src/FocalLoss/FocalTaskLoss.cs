using NativeMtl;
using NativeMtl.Models;
using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace FocalLoss;

/// <summary>Segmentation with the focal loss instead of cross-entropy: every pixel with a label counts (the ignore
/// label −1 does not), and a mask, when given, restricts them further.</summary>
public sealed class FocalTaskLoss(double gamma, int ignoreIndex = -1) : TaskLoss
{
    public double Gamma { get; } = gamma;

    public override PixelLoss PerPixel(Tensor prediction, Tensor target, Tensor? mask = null)
    {
        var loss = FocalLossFunction.PerPixel(prediction, target, Gamma, ignoreIndex);
        var ignored = Ops.Binary(BinaryOp.Equal, Ops.Cast(target, prediction.DType), Tensors.Full(Shape.Scalar, ignoreIndex, prediction.DType, target.Device));
        var labelled = Ops.MulAdd(Ops.Cast(ignored, prediction.DType), -1, 1);
        return Restrict(nameof(FocalTaskLoss), loss, labelled, mask);
    }
}
