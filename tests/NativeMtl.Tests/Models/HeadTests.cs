using NativeMtl.Models;

namespace NativeMtl.Tests.Models;

public class HeadTests
{
    private static readonly BuildContext Context = new(new Generator(9));

    [Fact]
    public void DeepLabHeadOn2048ChannelsHasTorchvisionsParameterCount()
    {
        // torchvision's deeplabv3_resnet50 has 42,004,074 parameters: the backbone (23,508,032), the auxiliary
        // FCNHead(1024, 21) (2,365,205) and DeepLabHead(2048, 21).
        using var head = new DeepLabHead(new HeadOptions { InChannels = 2048, OutChannels = 21 }, Context);
        Assert.Equal(42_004_074 - 23_508_032 - 2_365_205, head.ParameterCount);
    }

    [Fact]
    public void DeepLabHeadKeysFollowTorchvisionsDeepLabV3()
    {
        using var head = new DeepLabHead(new HeadOptions { InChannels = 8, OutChannels = 3, HiddenChannels = 4 }, Context);
        var keys = head.StateDict().Select(e => e.Path).ToList();
        Assert.Equal(["0.convs.0.0.weight", "0.convs.0.1.weight", "0.convs.0.1.bias", "0.convs.0.1.running_mean",
            "0.convs.0.1.running_var", "0.convs.1.0.weight"], keys.Take(6));
        Assert.Contains("0.convs.3.0.weight", keys);
        Assert.Contains("0.convs.4.1.weight", keys);
        Assert.Contains("0.convs.4.2.running_var", keys);
        Assert.Contains("0.project.0.weight", keys);
        Assert.Equal(["0.project.1.running_var", "1.weight", "2.weight", "2.bias", "2.running_mean", "2.running_var", "4.weight", "4.bias"],
            keys.TakeLast(8));
        Assert.Equal(new Shape(4, 4 * 5, 1, 1), head.NamedParameters().Single(p => p.Path == "0.project.0.weight").Parameter.Shape);
    }

    [Fact]
    public void AsppBranchesAreOneByOneThenDilatedAtTheAtrousRatesThenImagePooling()
    {
        using var head = new DeepLabHead(new HeadOptions { InChannels = 8, OutChannels = 3, HiddenChannels = 4 }, Context);
        var dilations = Enumerable.Range(0, 4).Select(i => ModelTestKit.ModuleAt<Conv2d>(head, $"0.convs.{i}.0")).Select(c => (c.Weight.Shape[2], c.Geometry.DilationH, c.Geometry.PadH));
        Assert.Equal([(1, 1, 0), (3, 12, 12), (3, 24, 24), (3, 36, 36)], dilations);
        Assert.IsType<AsppPooling>(head.Aspp.Branches[4]);
    }

    [Fact]
    public void ImagePoolingGivesEveryPositionTheSameValue()
    {
        using var pooling = new AsppPooling(3, 2, Context);
        using var scope = DisposeScope.Enter();
        var y = pooling.Forward(ModelTestKit.Input(2, 5, 7));
        Assert.Equal(new Shape(2, 2, 5, 7), y.Shape);
        var values = y.ToArray<float>();
        for (int plane = 0; plane < 4; plane++)
        {
            var first = values[plane * 35];
            Assert.All(values.Skip(plane * 35).Take(35), v => Assert.Equal(first, v, 1e-6f));
        }
    }

    [Theory]
    [InlineData("aspp")]
    [InlineData("conv")]
    public void HeadsKeepTheSizeAndBackpropagateToEveryParameter(string name)
    {
        using var head = HeadRegistry.Create(name, new HeadOptions { InChannels = 6, OutChannels = 3, HiddenChannels = 4 }, Context);
        using var scope = DisposeScope.Enter();
        var y = head.Forward(ModelTestKit.Input(2, 6, 5, channels: 6));
        Assert.Equal(new Shape(2, 3, 6, 5), y.Shape);
        ModelTestKit.Probe([y]).Backward();
        ModelTestKit.AssertEveryParameterHasAGradient(head);
    }

    [Fact]
    public void ConvHeadIsThreeByThreeConvBatchNormReluThenOneByOne()
    {
        using var head = new ConvHead(new HeadOptions { InChannels = 6, OutChannels = 2 }, Context);
        Assert.Equal(["0.weight", "1.weight", "1.bias", "3.weight", "3.bias"], head.NamedParameters().Select(p => p.Path));
        Assert.Equal(new Shape(6, 6, 3, 3), head.NamedParameters().First().Parameter.Shape);
        Assert.Equal(new Shape(2, 6, 1, 1), head.NamedParameters().ElementAt(3).Parameter.Shape);
    }

    [Fact]
    public void AsppDropoutMakesTrainingPassesDifferAndEvaluationPassesRepeat()
    {
        using var head = new DeepLabHead(new HeadOptions { InChannels = 3, OutChannels = 2, HiddenChannels = 4 }, Context);
        using var scope = DisposeScope.Enter();
        var x = ModelTestKit.Input(2, 4, 4);
        Assert.NotEqual(head.Forward(x).ToArray<float>(), head.Forward(x).ToArray<float>());
        head.Eval();
        Assert.Equal(head.Forward(x).ToArray<float>(), head.Forward(x).ToArray<float>());
    }
}
