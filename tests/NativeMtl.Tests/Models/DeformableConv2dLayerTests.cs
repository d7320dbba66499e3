using NativeMtl.Kernels;
using NativeMtl.Models;

namespace NativeMtl.Tests.Models;

/// <summary>The deformable convolution layer: it starts as an ordinary convolution and learns its offsets.</summary>
public class DeformableConv2dLayerTests
{
    [Fact]
    public void ItStartsAsAnOrdinaryConvolutionWithItsWeights()
    {
        using var layer = new DeformableConv2d(3, 4, 3, new Generator(1), padding: 1, dtype: DType.Float64);
        using var scope = DisposeScope.Enter();
        var x = Tensors.Normal(new Shape(2, 3, 5, 6), new Generator(2), dtype: DType.Float64);
        var expected = F.Conv2d(x, layer.Weight, layer.Bias!.Value, new Conv2dGeometry(1, 1, 1, 1, 1, 1));
        TestData.Close(expected.ToArray<double>(), layer.Forward(x).ToArray<double>(), 1e-12);
        Assert.All(layer.Offset.Weight.Value.ToArray<double>(), w => Assert.Equal(0, w));
    }

    [Fact]
    public void TheOffsetConvolutionGetsAGradient()
    {
        using var layer = new DeformableConv2d(3, 4, 3, new Generator(1), padding: 1, dtype: DType.Float64);
        using var scope = DisposeScope.Enter();
        var x = Tensors.Normal(new Shape(1, 3, 5, 6), new Generator(3), dtype: DType.Float64);
        var r = Tensors.Normal(new Shape(1, 4, 5, 6), new Generator(4), dtype: DType.Float64);
        F.Sum(F.Mul(layer.Forward(x), r)).Backward();
        Assert.Contains(layer.Offset.Weight.Value.Grad!.ToArray<double>(), g => Math.Abs(g) > 1e-6);
    }

    [Fact]
    public void AnAuxiliaryModuleCanAdaptItsTapsWithIt()
    {
        using var model = new HardSharingModel(ModelTestKit.Small([TaskSpec.Depth()]) with
        {
            Auxiliary = new AuxiliaryOptions { Adaptor = AdaptorKind.Deformable3x3, Stages = [1] },
        });
        Assert.Contains(model.NamedParameters(), p => p.Path == "auxiliary.depth.adaptors.0.0.offset.weight");
        using var scope = DisposeScope.Enter();
        Assert.Equal(new Shape(2, 1, 16, 16), model.Forward(ModelTestKit.Input(2, 16, 16)).AuxiliaryPredictions["depth"].Shape);
    }
}
