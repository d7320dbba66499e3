using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Models;

public sealed class ReLU : Layer
{
    protected override Tensor ForwardCore(Tensor x) => F.Relu(x);
}

public sealed class MaxPool2d(int kernel, int stride, int padding = 0) : Layer
{
    protected override Tensor ForwardCore(Tensor x) => F.MaxPool2d(x, new Pool2dGeometry(kernel, kernel, stride, stride, padding, padding));
}

public sealed class AvgPool2d(int kernel, int stride, int padding = 0, bool countIncludePad = true) : Layer
{
    protected override Tensor ForwardCore(Tensor x) =>
        F.AvgPool2d(x, new Pool2dGeometry(kernel, kernel, stride, stride, padding, padding, countIncludePad));
}

/// <summary>Bilinear resize to a fixed size (align_corners = false).</summary>
public sealed class Upsample(int height, int width) : Layer
{
    protected override Tensor ForwardCore(Tensor x) => F.UpsampleBilinear2d(x, height, width);
}

/// <summary>torch.nn.Dropout: in training, zeroes each element with probability p and scales the rest by
/// 1/(1 − p) (<see cref="F.Dropout"/>); the identity in evaluation.</summary>
public sealed class Dropout : Layer
{
    private readonly double _p;
    private readonly Generator _generator;

    public Dropout(double p, Generator generator)
    {
        if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout: p = {p} must be in [0, 1)");
        _p = p;
        _generator = generator;
    }

    protected override Tensor ForwardCore(Tensor x)
    {
        if (!Training || _p == 0) return x;
        return F.Dropout(x, _p, _generator);
    }
}
