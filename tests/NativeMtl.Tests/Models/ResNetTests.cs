using NativeMtl.Models;

namespace NativeMtl.Tests.Models;

/// <summary>One ResNet-50 for the whole class: building 23.5 M parameters is the slow part.</summary>
public sealed class ResNet50Fixture : IDisposable
{
    public ResNet Net { get; } = ResNet.ResNet50(new EncoderOptions(), new BuildContext(new Generator(5)));

    public void Dispose() => Net.Dispose();
}

public class ResNet50Tests(ResNet50Fixture fixture) : IClassFixture<ResNet50Fixture>
{
    private readonly ResNet _net = fixture.Net;

    [Fact]
    public void ParameterCountIsTorchvisionsResNet50WithoutFc()
    {
        // torchvision resnet50: 25,557,032 parameters, of which fc holds 2048·1000 + 1000.
        Assert.Equal(25_557_032 - 2_049_000, _net.ParameterCount);
    }

    [Fact]
    public void StateDictKeysAreTorchvisionsWithoutFcAndNumBatchesTracked()
    {
        var keys = _net.StateDict().Select(e => e.Path).ToList();
        // torchvision's state_dict has 320 keys: 53 convolutions, 53 batch norms × 5 (weight, bias,
        // running_mean, running_var, num_batches_tracked), fc.weight and fc.bias.
        Assert.Equal(320 - 2 - 53, keys.Count);
        Assert.Equal(["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean", "bn1.running_var",
            "layer1.0.conv1.weight", "layer1.0.bn1.weight"], keys.Take(7));
        Assert.Equal(["layer4.2.conv3.weight", "layer4.2.bn3.weight", "layer4.2.bn3.bias", "layer4.2.bn3.running_mean",
            "layer4.2.bn3.running_var"], keys.TakeLast(5));
        var downsample = keys.SkipWhile(k => k != "layer1.0.bn3.running_var").Skip(1).Take(6);
        Assert.Equal(["layer1.0.downsample.0.weight", "layer1.0.downsample.1.weight", "layer1.0.downsample.1.bias",
            "layer1.0.downsample.1.running_mean", "layer1.0.downsample.1.running_var", "layer1.1.conv1.weight"], downsample);
        Assert.Equal(["layer1.0", "layer2.0", "layer3.0", "layer4.0"],
            keys.Where(k => k.Contains(".downsample.0.weight")).Select(k => k[..8]));
        Assert.Equal(16, keys.Count(k => k.EndsWith(".conv3.weight")));
        Assert.Equal(159, _net.NamedParameters().Count());
    }

    [Fact]
    public void ParameterShapesFollowTorchvision()
    {
        var shapes = _net.NamedParameters().ToDictionary(p => p.Path, p => p.Parameter.Shape);
        Assert.Equal(new Shape(64, 3, 7, 7), shapes["conv1.weight"]);
        Assert.Equal(new Shape(64, 64, 1, 1), shapes["layer1.0.conv1.weight"]);
        Assert.Equal(new Shape(256, 64, 1, 1), shapes["layer1.0.downsample.0.weight"]);
        Assert.Equal(new Shape(128, 128, 3, 3), shapes["layer2.0.conv2.weight"]);
        Assert.Equal(new Shape(1024, 512, 1, 1), shapes["layer3.0.downsample.0.weight"]);
        Assert.Equal(new Shape(2048, 512, 1, 1), shapes["layer4.2.conv3.weight"]);
        Assert.Equal(new Shape(2048), shapes["layer4.2.bn3.bias"]);
    }

    [Theory]
    [InlineData("layer2.0.conv2", 2, 1)]
    [InlineData("layer2.0.downsample.0", 2, 1)]
    [InlineData("layer2.3.conv2", 1, 1)]
    [InlineData("layer3.0.conv2", 1, 1)]
    [InlineData("layer3.0.downsample.0", 1, 1)]
    [InlineData("layer3.1.conv2", 1, 2)]
    [InlineData("layer3.5.conv2", 1, 2)]
    [InlineData("layer4.0.conv2", 1, 2)]
    [InlineData("layer4.1.conv2", 1, 4)]
    [InlineData("layer4.2.conv2", 1, 4)]
    public void StridesAndDilationsAreTorchvisionsReplaceStrideWithDilation(string path, int stride, int dilation)
    {
        var conv = ModelTestKit.ModuleAt<Conv2d>(_net, path);
        Assert.Equal((stride, dilation), (conv.Geometry.StrideH, conv.Geometry.DilationH));
        // A 3×3 convolution pads by its dilation, keeping the size; 1×1 convolutions do not pad.
        Assert.Equal(conv.Weight.Shape[2] == 3 ? dilation : 0, conv.Geometry.PadH);
    }

    [Fact]
    public void ConvolutionsAreKaimingNormalFanOutAndBatchNormsStartAtOneAndZero()
    {
        var w = ModelTestKit.ModuleAt<Conv2d>(_net, "layer4.0.conv2").Weight.Value.ToArray<float>();
        double mean = w.Average(v => (double)v), std = Math.Sqrt(w.Average(v => (double)v * v) - mean * mean);
        Assert.Equal(Math.Sqrt(2.0 / (512 * 9)), std, 0.01 * std);
        Assert.InRange(mean, -0.01 * std, 0.01 * std);
        var bn = ModelTestKit.ModuleAt<BatchNorm2d>(_net, "layer2.1.bn2");
        Assert.All(bn.Weight.Value.ToArray<float>(), v => Assert.Equal(1f, v));
        Assert.All(bn.Bias.Value.ToArray<float>(), v => Assert.Equal(0f, v));
    }

    [Fact]
    public void OutputStrideIsEightWith2048Channels()
    {
        Assert.Equal([256, 512, 1024, 2048], _net.StageChannels);
        Assert.Equal([4, 8, 8, 8], _net.StageStrides);
        using var scope = DisposeScope.Enter();
        using var noGrad = GradMode.NoGrad();
        var output = _net.Forward(ModelTestKit.Input(1, 64, 64));
        Assert.Equal(new Shape(1, 2048, 8, 8), output.Features.Shape);
        Assert.Equal([new Shape(1, 256, 16, 16), new Shape(1, 512, 8, 8), new Shape(1, 1024, 8, 8), new Shape(1, 2048, 8, 8)],
            output.Stages.Select(s => s.Shape));
    }

    [Fact]
    public void BackwardReachesEveryParameter()
    {
        foreach (var p in _net.Parameters()) p.Value.Grad = null;
        using var scope = DisposeScope.Enter();
        var output = _net.Forward(ModelTestKit.Input(1, 32, 32));
        Assert.Equal(new Shape(1, 2048, 4, 4), output.Features.Shape);
        ModelTestKit.Probe([output.Features]).Backward();
        ModelTestKit.AssertEveryParameterHasAGradient(_net);
    }

    [Fact]
    public void WidthsAndBlocksAreFixed()
    {
        var e = Assert.Throws<ArgumentException>(() => ResNet.ResNet50(new EncoderOptions { Blocks = [1, 1, 1, 1] }, new BuildContext(new Generator(1))));
        Assert.Equal("resnet50: widths and blocks are fixed; use resnet_small for other ones", e.Message);
    }
}

public class SmallResNetTests
{
    private static ResNet Small(EncoderOptions? options = null) => ResNet.Small(options ?? new EncoderOptions(), new BuildContext(new Generator(3)));

    [Fact]
    public void DefaultIsThreeBasicBlockStagesOf16To64ChannelsAtOutputStride8()
    {
        using var net = Small();
        Assert.Equal([16, 32, 64], net.StageChannels);
        Assert.Equal([4, 8, 8], net.StageStrides);
        Assert.Equal(2, net.Layers[0].Layers.Count);
        Assert.IsType<BasicBlock>(net.Layers[2].Layers[1]);
        Assert.InRange(net.ParameterCount, 100_000, 250_000);
    }

    [Fact]
    public void A96By128InputGives12By16Features()
    {
        using var net = Small();
        using var scope = DisposeScope.Enter();
        var output = net.Forward(ModelTestKit.Input(1, 96, 128));
        Assert.Equal(new Shape(1, 64, 12, 16), output.Features.Shape);
        Assert.Equal([new Shape(1, 16, 24, 32), new Shape(1, 32, 12, 16), new Shape(1, 64, 12, 16)], output.Stages.Select(s => s.Shape));
        Assert.Same(output.Stages[^1], output.Features);
    }

    [Fact]
    public void TheLastStageIsDilatedAndItsFirstBlockKeepsThePreviousDilation()
    {
        using var net = Small();
        Assert.Equal((1, 1), Geometry(net, "layer3.0.conv1"));
        Assert.Equal((1, 2), Geometry(net, "layer3.1.conv1"));
        Assert.Equal((1, 2), Geometry(net, "layer3.1.conv2"));
        Assert.Equal((2, 1), Geometry(net, "layer2.0.conv1"));
    }

    private static (int Stride, int Dilation) Geometry(Module net, string path)
    {
        var g = ModelTestKit.ModuleAt<Conv2d>(net, path).Geometry;
        return (g.StrideH, g.DilationH);
    }

    [Fact]
    public void OutputStrideSixteenKeepsEveryStride()
    {
        using var net = Small(new EncoderOptions { OutputStride = 16 });
        Assert.Equal([4, 8, 16], net.StageStrides);
        Assert.Equal((1, 1), Geometry(net, "layer3.1.conv2"));
    }

    [Fact]
    public void AnUnreachableOutputStrideIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => Small(new EncoderOptions { OutputStride = 32 }));
        Assert.Equal("resnet_small: output stride 32 is not one of 4, 8, 16", e.Message);
    }

    [Fact]
    public void AnInputWithTheWrongChannelsIsRefusedNamingTheEncoder()
    {
        using var net = Small();
        using var scope = DisposeScope.Enter();
        var e = Assert.Throws<ShapeException>(() => net.Forward(Tensors.Zeros(new Shape(1, 4, 16, 16))));
        Assert.Equal("resnet_small: input [1, 4, 16, 16] must be [N, 3, H, W]", e.Message);
    }

    [Fact]
    public void BackwardReachesEveryParameter()
    {
        using var net = Small(new EncoderOptions { Widths = [8, 16, 32], Blocks = [2, 1, 2] });
        using var scope = DisposeScope.Enter();
        var output = net.Forward(ModelTestKit.Input(2, 32, 32));
        Assert.Equal(new Shape(2, 32, 4, 4), output.Features.Shape);
        ModelTestKit.Probe([output.Features]).Backward();
        ModelTestKit.AssertEveryParameterHasAGradient(net);
    }
}
