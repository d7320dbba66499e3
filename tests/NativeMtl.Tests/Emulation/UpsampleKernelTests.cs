namespace NativeMtl.Tests.Emulation;

public class UpsampleKernelTests
{
    [Theory]
    [InlineData(DType.Float32, 5, 7, 16, 23)]  // up by non-integral factors
    [InlineData(DType.Float64, 5, 7, 16, 23)]
    [InlineData(DType.Float32, 12, 9, 5, 4)]   // down
    [InlineData(DType.Float64, 1, 6, 3, 6)]    // a single input row; columns unchanged
    public void BilinearResizeAndItsGradientMatchTheCpu(DType dtype, int inH, int inW, int outH, int outW)
    {
        int[] input = [2, 3, inH, inW], output = [2, 3, outH, outW];
        using var x = Twin.Random(dtype, 6 * inH * inW, 1);
        using var y = Twin.Blank(dtype, 6 * outH * outW);
        using var gy = Twin.Random(dtype, 6 * outH * outW, 2);
        using var gx = Twin.Blank(dtype, 6 * inH * inW);
        Emulated.OnBoth(b => b.UpsampleBilinear2dForward(x.On(b, input), y.On(b, output)));
        y.AssertClose(dtype == DType.Float32 ? 1e-6 : 1e-14);
        Emulated.OnBoth(b => b.UpsampleBilinear2dBackward(gy.On(b, output), gx.On(b, input)));
        gx.AssertClose(dtype == DType.Float32 ? 1e-5 : 1e-13);
    }
}
