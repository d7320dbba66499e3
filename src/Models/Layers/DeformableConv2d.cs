using NativeMtl.Kernels;

namespace NativeMtl.Models;

/// <summary>
/// Deformable convolution v1 (Dai et al. 2017) as a layer: a k×k convolution of the input predicts the 2·k·k sampling
/// offsets of every output position (torchvision's layout), and the deformable convolution samples there. The offset
/// convolution starts at zero (weights and bias), as in the paper, so the layer starts as an ordinary convolution and
/// learns to deform. Members "offset" (a <see cref="Conv2d"/>) and "weight"/"bias".
/// </summary>
public sealed class DeformableConv2d : Layer
{
    private readonly Conv2dGeometry _geometry;
    private readonly Conv2d _offset;

    public DeformableConv2d(int inChannels, int outChannels, int kernel, Generator generator, int stride = 1, int padding = 0,
        int dilation = 1, bool bias = true, DType dtype = DType.Float32, Device? device = null)
    {
        _geometry = new Conv2dGeometry(stride, stride, padding, padding, dilation, dilation);
        _offset = AddModule("offset", new Conv2d(inChannels, 2 * kernel * kernel, kernel, generator, stride, padding, dilation, dtype: dtype, device: device));
        foreach (var p in _offset.Parameters())
        {
            using var zero = Tensors.Zeros(p.Shape, dtype, device);
            Raw.Ops.CopyInto(zero, p.Value);
        }
        int fanIn = inChannels * kernel * kernel;
        Weight = AddParameter("weight", Init.DefaultUniform(new Shape(outChannels, inChannels, kernel, kernel), fanIn, generator, dtype, device));
        Bias = bias ? AddParameter("bias", Init.DefaultUniform(new Shape(outChannels), fanIn, generator, dtype, device)) : null;
    }

    public Parameter Weight { get; }

    public Parameter? Bias { get; }

    /// <summary>The convolution that predicts the offsets.</summary>
    public Conv2d Offset => _offset;

    protected override Tensor ForwardCore(Tensor x) => F.DeformConv2d(x, _offset.Forward(x), Weight, Bias?.Value, _geometry);
}
