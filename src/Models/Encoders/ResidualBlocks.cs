namespace NativeMtl.Models;

/// <summary>A residual block of a <see cref="ResNet"/>, with torchvision's member names.</summary>
public abstract class ResidualBlock : Layer
{
    /// <summary>Output channels over planes: 1 for <see cref="BasicBlock"/>, 4 for <see cref="Bottleneck"/>.</summary>
    public abstract int Expansion { get; }

    /// <summary>The last convolution of the block's main path (not the shortcut's).</summary>
    public abstract Conv2d LastConv { get; }

    /// <summary>1×1 convolution + batch norm on the identity path when the block changes size or channels.</summary>
    public Sequential? Downsample { get; protected init; }

    /// <summary>relu(y + shortcut(x)), where y is the block's last batch norm output, which goes once added.</summary>
    protected Tensor Residual(Tensor x, Tensor y)
    {
        var shortcut = Downsample?.Forward(x);
        return DisposeScope.Chain(y, t => F.Add(t, shortcut ?? x), F.Relu);
    }

    internal static Sequential? MakeDownsample(int inChannels, int outChannels, int stride, BuildContext context) =>
        stride == 1 && inChannels == outChannels
            ? null
            : new Sequential(context.KaimingConv(inChannels, outChannels, 1, stride), context.BatchNorm(outChannels));
}

/// <summary>torchvision's BasicBlock: two 3×3 convolutions. Unlike torchvision's, it accepts a dilation, which
/// both convolutions take (as in the dilated ResNets of MTAN and Auto-λ), so small encoders can keep output stride 8.</summary>
public sealed class BasicBlock : ResidualBlock
{
    public BasicBlock(int inChannels, int planes, int stride, int dilation, BuildContext context)
    {
        Conv1 = AddModule("conv1", context.KaimingConv(inChannels, planes, 3, stride, dilation, dilation));
        Bn1 = AddModule("bn1", context.BatchNorm(planes));
        AddModule("relu", new ReLU());
        Conv2 = AddModule("conv2", context.KaimingConv(planes, planes, 3, 1, dilation, dilation));
        Bn2 = AddModule("bn2", context.BatchNorm(planes));
        Downsample = MakeDownsample(inChannels, planes, stride, context);
        if (Downsample is not null) AddModule("downsample", Downsample);
    }

    public override int Expansion => 1;

    public override Conv2d LastConv => Conv2;

    public Conv2d Conv1 { get; }

    public BatchNorm2d Bn1 { get; }

    public Conv2d Conv2 { get; }

    public BatchNorm2d Bn2 { get; }

    protected override Tensor ForwardCore(Tensor x) =>
        Residual(x, DisposeScope.Chain(x, Conv1.Forward, Bn1.Forward, F.Relu, Conv2.Forward, Bn2.Forward));
}

/// <summary>torchvision's Bottleneck (ResNet v1.5): 1×1 reduce, 3×3 with the stride and dilation, 1×1 expand ×4.</summary>
public sealed class Bottleneck : ResidualBlock
{
    public Bottleneck(int inChannels, int planes, int stride, int dilation, BuildContext context)
    {
        int outChannels = planes * Expansion;
        Conv1 = AddModule("conv1", context.KaimingConv(inChannels, planes, 1));
        Bn1 = AddModule("bn1", context.BatchNorm(planes));
        Conv2 = AddModule("conv2", context.KaimingConv(planes, planes, 3, stride, dilation, dilation));
        Bn2 = AddModule("bn2", context.BatchNorm(planes));
        Conv3 = AddModule("conv3", context.KaimingConv(planes, outChannels, 1));
        Bn3 = AddModule("bn3", context.BatchNorm(outChannels));
        AddModule("relu", new ReLU());
        Downsample = MakeDownsample(inChannels, outChannels, stride, context);
        if (Downsample is not null) AddModule("downsample", Downsample);
    }

    public override int Expansion => 4;

    public override Conv2d LastConv => Conv3;

    public Conv2d Conv1 { get; }

    public BatchNorm2d Bn1 { get; }

    public Conv2d Conv2 { get; }

    public BatchNorm2d Bn2 { get; }

    public Conv2d Conv3 { get; }

    public BatchNorm2d Bn3 { get; }

    protected override Tensor ForwardCore(Tensor x) =>
        Residual(x, DisposeScope.Chain(x, Conv1.Forward, Bn1.Forward, F.Relu, Conv2.Forward, Bn2.Forward, F.Relu, Conv3.Forward, Bn3.Forward));
}
