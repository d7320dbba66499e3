using NativeMtl.Kernels;

namespace NativeMtl.Tests.Emulation;

public class CopyFillKernelTests
{
    public static TheoryData<DType, DType> DTypePairs()
    {
        var data = new TheoryData<DType, DType>();
        foreach (var from in Enum.GetValues<DType>())
            foreach (var to in Enum.GetValues<DType>())
                data.Add(from, to);
        return data;
    }

    [Theory]
    [MemberData(nameof(DTypePairs))]
    public void CopyOfATransposedViewIntoADenseTensorConvertsLikeTheCpu(DType from, DType to)
    {
        // 37×29 crosses several 256-thread blocks and ends in a partial one.
        using var x = Twin.Random(from, 37 * 29, 1, -300, 300);
        using var y = Twin.Blank(to, 37 * 29);
        Emulated.OnBoth(b => b.Copy(x.On(b, [29, 37], [1, 29]), y.On(b, [29, 37])));
        y.AssertEqual();
    }

    [Fact]
    public void CopyIntoAStridedDestinationWithABroadcastSourceLeavesTheGapsAlone()
    {
        using var x = Twin.Random(DType.Float64, 5, 2);
        using var y = Twin.Blank(DType.Float64, 2 * 7 * 5);
        Emulated.OnBoth(b => b.Copy(x.On(b, [3, 5], [0, 1]), y.On(b, [3, 5], [14, 2], offset: 1)));
        y.AssertEqual();
    }

    [Fact]
    public void FloatToInt32SaturatesAndSendsNaNToZero()
    {
        using var x = Twin.Of(DType.Float64, [double.NaN, 1e12, -1e12, 2.9, -2.9, double.PositiveInfinity]);
        using var y = Twin.Blank(DType.Int32, 6);
        Emulated.OnBoth(b => b.Copy(x.On(b, [6]), y.On(b, [6])));
        Assert.Equal([0, int.MaxValue, int.MinValue, 2, -2, int.MaxValue], y.Gpu());
        y.AssertEqual();
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int32)]
    public void FillOfAStridedViewWritesOnlyItsElements(DType dtype)
    {
        using var y = Twin.Blank(dtype, 600);
        Emulated.OnBoth(b => b.Fill(y.On(b, [20, 9], [30, 3], offset: 2), 1.25e3));
        y.AssertEqual();
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    [InlineData(DType.Int32)]
    public void ArangeCountsFromStartByStep(DType dtype)
    {
        using var y = Twin.Blank(dtype, 1000);
        Emulated.OnBoth(b => b.Arange(y.On(b, [1000]), -3.5, 0.37));
        y.AssertEqual();
    }
}
