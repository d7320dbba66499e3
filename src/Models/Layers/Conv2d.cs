using NativeMtl.Kernels;

namespace NativeMtl.Models;

/// <summary>torch.nn.Conv2d: weight [out, in/groups, k, k] and an optional bias, PyTorch's default initialization.</summary>
public sealed class Conv2d : Layer
{
    private readonly Conv2dGeometry _geometry;

    public Conv2d(int inChannels, int outChannels, int kernel, Generator generator, int stride = 1, int padding = 0,
        int dilation = 1, int groups = 1, bool bias = true, DType dtype = DType.Float32, Device? device = null)
    {
        if (inChannels % groups != 0 || outChannels % groups != 0)
            throw new ArgumentException($"Conv2d: {inChannels} input and {outChannels} output channels do not split into {groups} groups");
        _geometry = new Conv2dGeometry(stride, stride, padding, padding, dilation, dilation, groups);
        int fanIn = inChannels / groups * kernel * kernel;
        Weight = AddParameter("weight", Init.DefaultUniform(new Shape(outChannels, inChannels / groups, kernel, kernel), fanIn, generator, dtype, device));
        Bias = bias ? AddParameter("bias", Init.DefaultUniform(new Shape(outChannels), fanIn, generator, dtype, device)) : null;
    }

    public Parameter Weight { get; }

    public Parameter? Bias { get; }

    public Conv2dGeometry Geometry => _geometry;

    protected override Tensor ForwardCore(Tensor x) => F.Conv2d(x, Weight, Bias?.Value, _geometry);
}
