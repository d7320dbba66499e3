using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Tests.TensorLayer;

public class CreationTests
{
    [Fact]
    public void FullZerosAndOnesFillEveryElement()
    {
        Assert.All(Tensors.Full(new Shape(2, 3), 2.5).ToArray<float>(), v => Assert.Equal(2.5f, v));
        Assert.All(Tensors.Zeros(new Shape(5), DType.Int32).ToArray<int>(), v => Assert.Equal(0, v));
        Assert.All(Tensors.Ones(new Shape(1, 1, 4), DType.Float64).ToArray<double>(), v => Assert.Equal(1.0, v));
    }

    [Fact]
    public void ArangeCountsFromStartBelowEnd()
    {
        Assert.Equal([1.0, 1.5, 2.0, 2.5], Tensors.Arange(1, 3, 0.5, DType.Float64).ToArray<double>());
        Assert.Equal([5, 3, 1], Tensors.Arange(5, 0, -2, DType.Int32).ToArray<int>());
    }

    [Fact]
    public void FromArrayRejectsDataThatDoesNotFillTheShape()
    {
        var e = Assert.Throws<ShapeException>(() => Tensors.FromArray(new float[5], new Shape(2, 3)));
        Assert.Equal("FromArray: 5 values do not fill shape [2, 3]", e.Message);
    }

    [Fact]
    public void PhiloxMatchesRandom123KnownAnswers()
    {
        Assert.Equal((0x6627e8d5u, 0xe169c58du, 0xbc57ac4cu, 0x9b00dbd8u), Philox.Block(0, 0, 0, 0, 0, 0));
        Assert.Equal((0x408f276du, 0x41c83b0eu, 0xa20bc7c6u, 0x6d5451fdu),
            Philox.Block(0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff));
        Assert.Equal((0xd16cfe09u, 0x94fdccebu, 0x5001e420u, 0x24126ea1u),
            Philox.Block(0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, 0xa4093822, 0x299f31d0));
    }

    [Fact]
    public void SameSeedGivesTheSameNumbersAndDrawsAdvanceTheStream()
    {
        var g1 = new Generator(42);
        var g2 = new Generator(42);
        var a = Tensors.Normal(new Shape(1000), g1).ToArray<float>();
        Assert.Equal(a, Tensors.Normal(new Shape(1000), g2).ToArray<float>());
        Assert.NotEqual(a, Tensors.Normal(new Shape(1000), g1).ToArray<float>());
        Assert.Equal(2000UL, g1.Offset);
    }

    [Fact]
    public void ElementValuesDependOnlyOnSeedAndCounterNotOnThreading()
    {
        // 200k elements are generated across threads; element i must still be counter i's value.
        var big = Tensors.Uniform(new Shape(200_000), new Generator(3)).ToArray<float>();
        Assert.Equal(Enumerable.Range(0, big.Length).Select(i => Philox.UniformFloat((ulong)i, 3, 0, 1)), big);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void NormalSamplesHaveTheRequestedMoments(DType dtype)
    {
        var x = Ops.Cast(Tensors.Normal(new Shape(100_000), new Generator(9), mean: 2, std: 3, dtype: dtype), DType.Float64).ToArray<double>();
        double mean = x.Average(), std = Math.Sqrt(x.Select(v => (v - mean) * (v - mean)).Average());
        Assert.InRange(mean, 2 - 0.05, 2 + 0.05);
        Assert.InRange(std, 3 - 0.05, 3 + 0.05);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void UniformSamplesStayInRangeAndFillIt(DType dtype)
    {
        var x = Ops.Cast(Tensors.Uniform(new Shape(50_000), new Generator(5), -1, 3, dtype), DType.Float64).ToArray<double>();
        Assert.All(x, v => Assert.InRange(v, -1, 3 - 1e-9));
        Assert.InRange(x.Average(), 1 - 0.03, 1 + 0.03);
        Assert.True(x.Min() < -0.99 && x.Max() > 2.99);
    }

    [Fact]
    public void CastTruncatesTowardZeroAndSaturates()
    {
        var x = Tensors.FromArray([-1.7, 2.9, 3e10, double.NaN], 4);
        Assert.Equal([-1, 2, int.MaxValue, 0], Ops.Cast(x, DType.Int32).ToArray<int>());
    }

    [Fact]
    public void ToAnotherDeviceWithoutABackendSaysSo()
    {
        var e = Assert.Throws<InvalidOperationException>(() => Tensors.Zeros(new Shape(1), device: Device.Cuda(7)));
        Assert.Equal("no backend is available for device cuda:7", e.Message);
    }
}
