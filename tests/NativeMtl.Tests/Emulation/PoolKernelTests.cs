using NativeMtl.Kernels;

namespace NativeMtl.Tests.Emulation;

public class PoolKernelTests
{
    public static TheoryData<DType, Pool2dGeometry> Cases()
    {
        var data = new TheoryData<DType, Pool2dGeometry>();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            data.Add(dtype, new Pool2dGeometry(2, 2, 2, 2));
            data.Add(dtype, new Pool2dGeometry(3, 3, 2, 2, 1, 1));                          // overlapping windows, padding
            data.Add(dtype, new Pool2dGeometry(3, 2, 1, 2, 1, 0, CountIncludePad: false));  // padding left out of averages
        }
        return data;
    }

    private static int[] Output(int[] input, Pool2dGeometry g) =>
        [input[0], input[1], Pool2dGeometry.OutputSize(input[2], g.KernelH, g.StrideH, g.PadH), Pool2dGeometry.OutputSize(input[3], g.KernelW, g.StrideW, g.PadW)];

    private static readonly int[] Input = [2, 3, 11, 14];

    /// <summary>Values on a coarse grid, so that windows hold ties and the first maximum matters.</summary>
    private static Twin Inputs(DType dtype) => Twin.Of(dtype, TestData.Values(2 * 3 * 11 * 14, 4).Select(v => Math.Round(v * 3)).ToArray());

    [Theory]
    [MemberData(nameof(Cases))]
    public void MaxPoolForwardAndBackwardMatchTheCpu(DType dtype, Pool2dGeometry g)
    {
        var output = Output(Input, g);
        int outputs = output.Aggregate(1, (p, d) => p * d);
        using var x = Inputs(dtype);
        using var y = Twin.Blank(dtype, outputs);
        using var gy = Twin.Random(dtype, outputs, 5);
        using var gx = Twin.Blank(dtype, x.Length);
        Emulated.OnBoth(b => b.MaxPool2dForward(x.On(b, Input), y.On(b, output), g));
        y.AssertEqual();
        Emulated.OnBoth(b => b.MaxPool2dBackward(x.On(b, Input), y.On(b, output), gy.On(b, output), gx.On(b, Input), g));
        gx.AssertClose(dtype == DType.Float32 ? 1e-6 : 1e-14);
    }

    /// <summary>The tangent is read at x's first maximum: with ties in every window, a kernel that took another
    /// tied position would read another tangent value.</summary>
    [Theory]
    [MemberData(nameof(Cases))]
    public void MaxPoolTangentMatchesTheCpu(DType dtype, Pool2dGeometry g)
    {
        var output = Output(Input, g);
        int outputs = output.Aggregate(1, (p, d) => p * d);
        using var x = Inputs(dtype);
        using var tx = Twin.Random(dtype, x.Length, 8);
        using var ty = Twin.Blank(dtype, outputs);
        Emulated.OnBoth(b => b.MaxPool2dJvp(x.On(b, Input), tx.On(b, Input), ty.On(b, output), g));
        ty.AssertEqual();
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void AvgPoolForwardAndBackwardMatchTheCpu(DType dtype, Pool2dGeometry g)
    {
        var output = Output(Input, g);
        int outputs = output.Aggregate(1, (p, d) => p * d);
        using var x = Twin.Random(dtype, 2 * 3 * 11 * 14, 6);
        using var y = Twin.Blank(dtype, outputs);
        using var gy = Twin.Random(dtype, outputs, 7);
        using var gx = Twin.Blank(dtype, x.Length);
        Emulated.OnBoth(b => b.AvgPool2dForward(x.On(b, Input), y.On(b, output), g));
        y.AssertClose(dtype == DType.Float32 ? 1e-6 : 1e-14);
        Emulated.OnBoth(b => b.AvgPool2dBackward(gy.On(b, output), gx.On(b, Input), g));
        gx.AssertClose(dtype == DType.Float32 ? 1e-6 : 1e-14);
    }
}
