namespace NativeMtl.Models;

/// <summary>torch.nn.AdaptiveAvgPool2d(1): the mean of each channel over the plane, [N, C, H, W] → [N, C, 1, 1].</summary>
public sealed class GlobalAvgPool2d : Layer
{
    protected override Tensor ForwardCore(Tensor x) => F.Mean(x, [2, 3], keepDims: true);
}
