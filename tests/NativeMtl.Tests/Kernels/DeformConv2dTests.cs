using NativeMtl.Kernels;
using NativeMtl.Raw;
using static NativeMtl.Tests.Kernels.NnTestData;

namespace NativeMtl.Tests.Kernels;

using Tensor = NativeMtl.Tensor;

/// <summary>Deformable convolution against hand-worked values; its gradients against finite differences are in
/// GradientTests, and its CUDA kernels against these in Emulation/DeformConvKernelTests.</summary>
public class DeformConv2dTests
{
    [Theory]
    [InlineData(DType.Float32, 3, 3, 1, 0, 1)]
    [InlineData(DType.Float64, 3, 3, 1, 1, 1)]
    [InlineData(DType.Float32, 3, 3, 2, 1, 1)]
    [InlineData(DType.Float64, 3, 3, 1, 2, 2)]
    [InlineData(DType.Float64, 2, 3, 2, 1, 2)]  // a rectangular kernel, stride and dilation together
    [InlineData(DType.Float32, 1, 1, 1, 0, 1)]
    public void ZeroOffsetsGiveTheOrdinaryConvolution(DType dtype, int kernelH, int kernelW, int stride, int pad, int dilation)
    {
        using var scope = DisposeScope.Enter();
        var g = new Conv2dGeometry(stride, stride, pad, pad, dilation, dilation);
        var x = ToTensor(Uniform(2 * 3 * 7 * 6, seed: 1), dtype, 2, 3, 7, 6);
        var w = ToTensor(Uniform(4 * 3 * kernelH * kernelW, seed: 2), dtype, 4, 3, kernelH, kernelW);
        var b = ToTensor(Uniform(4, seed: 3), dtype, 4);
        var expected = Ops.Conv2d(x, w, b, g);
        var offset = Tensors.Zeros(new Shape(2, 2 * kernelH * kernelW, expected.Shape[2], expected.Shape[3]), dtype);
        var y = Ops.DeformConv2d(x, offset, w, b, g);
        Assert.Equal(expected.Shape, y.Shape);
        AssertClose(ToDoubles(expected), y, ToleranceFor(dtype));
    }

    [Fact]
    public void ZeroOffsetsGiveTheOrdinaryConvolutionsGradients()
    {
        using var scope = DisposeScope.Enter();
        var g = new Conv2dGeometry(2, 2, 1, 1, 1, 1);
        var x = TestData.Tensor(new Shape(2, 3, 7, 6), 1, requiresGrad: true);
        var w = TestData.Tensor(new Shape(4, 3, 3, 3), 2, requiresGrad: true);
        var b = TestData.Tensor(new Shape(4), 3, requiresGrad: true);
        var gy = TestData.Tensor(new Shape(2, 4, 4, 3), 4);
        var expected = Autograd.Grad([F.Conv2d(x, w, b, g)], [x, w, b], [gy]);
        var offset = Tensors.Zeros(new Shape(2, 18, 4, 3), DType.Float64);
        var actual = Autograd.Grad([F.DeformConv2d(x, offset, w, b, g)], [x, w, b], [gy]);
        for (int i = 0; i < 3; i++) AssertClose(expected[i].ToArray<double>(), actual[i], 1e-13);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void AnOffsetOfOneRowOnAOneByOneKernelShiftsTheImageUpOneRow(DType dtype)
    {
        using var scope = DisposeScope.Enter();
        var x = ToTensor([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12], dtype, 1, 1, 3, 4);
        var y = Ops.DeformConv2d(x, Offsets(dtype, 1, 0, 3, 4), ToTensor([1], dtype, 1, 1, 1, 1), null, new Conv2dGeometry());
        // Row h reads row h + 1; the last row reads row 3, below the image, which is zero.
        AssertClose([5, 6, 7, 8, 9, 10, 11, 12, 0, 0, 0, 0], y, 0);
    }

    [Theory]
    [InlineData(DType.Float32, 0.0, 0.5, new[] { 1.5, 2.5, 1.5, 4.5, 5.5, 3 })]  // the last column's right neighbour is outside: 0
    [InlineData(DType.Float64, 0.0, 0.5, new[] { 1.5, 2.5, 1.5, 4.5, 5.5, 3 })]
    [InlineData(DType.Float32, 0.5, 0.0, new[] { 2.5, 3.5, 4.5, 2, 2.5, 3 })]    // the last row's lower neighbour is outside: 0
    [InlineData(DType.Float64, 0.5, 0.0, new[] { 2.5, 3.5, 4.5, 2, 2.5, 3 })]
    public void AHalfPixelOffsetGivesTheMeanOfTwoNeighbours(DType dtype, double dy, double dx, double[] expected)
    {
        using var scope = DisposeScope.Enter();
        var x = ToTensor([1, 2, 3, 4, 5, 6], dtype, 1, 1, 2, 3);
        var y = Ops.DeformConv2d(x, Offsets(dtype, dy, dx, 2, 3), ToTensor([1], dtype, 1, 1, 1, 1), null, new Conv2dGeometry());
        AssertClose(expected, y, 0);
    }

    [Fact]
    public void TheOffsetGradientIsTheImagesSlopeAtTheSample()
    {
        using var scope = DisposeScope.Enter();
        // x[h, w] = 10h + w rises by 10 a row and 1 a column; samples at (h + ¼, w + ½) with all four corners inside
        // (h, w < 2) see exactly those slopes.
        var x = Tensors.FromArray([0.0, 1, 2, 10, 11, 12, 20, 21, 22], 1, 1, 3, 3);
        var offset = Offsets(DType.Float64, 0.25, 0.5, 3, 3);
        offset.RequiresGrad = true;
        var gOffset = Autograd.Grad(F.Sum(F.DeformConv2d(x, offset, Tensors.FromArray([1.0], 1, 1, 1, 1))), offset).ToArray<double>();
        foreach (var (h, w) in new[] { (0, 0), (0, 1), (1, 0), (1, 1) })
        {
            Assert.Equal(10, gOffset[h * 3 + w], 1e-14);
            Assert.Equal(1, gOffset[9 + h * 3 + w], 1e-14);
        }
    }

    [Fact]
    public void TheInputGradientGivesEachCornerItsBilinearShare()
    {
        using var scope = DisposeScope.Enter();
        // Samples at (h + ¼, w + ¾) weigh their corners ¾·¼, ¾·¾, ¼·¼, ¼·¾ (top-left, top-right, bottom-left,
        // bottom-right). Pixel (0, 0) is only the top-left corner of sample (0, 0): 3/16. Pixel (1, 1) is each corner
        // of one sample: 1. Pixel (0, 2) is the top-right corner of (0, 1) and the top-left of (0, 2): 3/4.
        var x = TestData.Tensor(new Shape(1, 1, 3, 3), 1, requiresGrad: true);
        var gx = Autograd.Grad(F.Sum(F.DeformConv2d(x, Offsets(DType.Float64, 0.25, 0.75, 3, 3), Tensors.FromArray([1.0], 1, 1, 1, 1))), x).ToArray<double>();
        Assert.Equal(0.1875, gx[0], 1e-15);
        Assert.Equal(1, gx[4], 1e-15);
        Assert.Equal(0.75, gx[2], 1e-15);
    }

    [Fact]
    public void OffsetsOfTheWrongShapeAreRejectedNamingTheShapes()
    {
        using var x = Tensors.Zeros(new Shape(1, 3, 5, 5));
        using var w = Tensors.Zeros(new Shape(4, 3, 3, 3));
        using var offset = Tensors.Zeros(new Shape(1, 16, 5, 5));
        var e = Assert.Throws<ShapeException>(() => Ops.DeformConv2d(x, offset, w, null, new Conv2dGeometry(PadH: 1, PadW: 1)));
        Assert.Equal("DeformConv2d: offsets [1, 16, 5, 5] must be [N, 2·3·3, P, Q] = [1, 18, 5, 5] for input [1, 3, 5, 5]", e.Message);
    }

    [Fact]
    public void WeightsOfAnotherChannelCountAreRejectedNamingBothShapes()
    {
        using var x = Tensors.Zeros(new Shape(1, 3, 5, 5));
        using var w = Tensors.Zeros(new Shape(4, 2, 3, 3));
        using var offset = Tensors.Zeros(new Shape(1, 18, 3, 3));
        var e = Assert.Throws<ShapeException>(() => Ops.DeformConv2d(x, offset, w, null, new Conv2dGeometry()));
        Assert.Equal("DeformConv2d: input [1, 3, 5, 5] must be NCHW with the weights' 2 channels (weights [4, 2, 3, 3])", e.Message);
    }

    /// <summary>One offset (dy, dx) at every position of a 1×1 kernel's output of height × width.</summary>
    private static Tensor Offsets(DType dtype, double dy, double dx, int height, int width) =>
        ToTensor([.. Enumerable.Repeat(dy, height * width), .. Enumerable.Repeat(dx, height * width)], dtype, 1, 2, height, width);
}
