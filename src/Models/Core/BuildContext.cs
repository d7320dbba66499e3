using NativeMtl.Raw;

namespace NativeMtl.Models;

/// <summary>What every model constructor needs besides its options: the stream its initial values are
/// drawn from (in construction order, so a seed fixes the whole model) and the type and device they get.</summary>
public sealed record BuildContext(Generator Generator, DType DType = DType.Float32, Device? Device = null)
{
    /// <summary>torch.nn.Conv2d with PyTorch's default initialization.</summary>
    public Conv2d Conv(int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0, int dilation = 1, bool bias = false) =>
        new(inChannels, outChannels, kernel, Generator, stride, padding, dilation, bias: bias, dtype: DType, device: Device);

    /// <summary>A bias-free convolution with torchvision's ResNet initialization, kaiming_normal(fan_out, relu).
    /// The default uniform values drawn by the layer come from a throwaway stream, so this model's stream
    /// holds only the values it keeps.</summary>
    public Conv2d KaimingConv(int inChannels, int outChannels, int kernel, int stride = 1, int padding = 0, int dilation = 1)
    {
        var conv = new Conv2d(inChannels, outChannels, kernel, new Generator(0), stride, padding, dilation, bias: false, dtype: DType, device: Device);
        using var weight = Init.KaimingNormalFanOut(conv.Weight.Shape, outChannels * kernel * kernel, Generator, DType, Device);
        Ops.CopyInto(weight, conv.Weight.Value);
        return conv;
    }

    public BatchNorm2d BatchNorm(int channels) => new(channels, dtype: DType, device: Device);
}
