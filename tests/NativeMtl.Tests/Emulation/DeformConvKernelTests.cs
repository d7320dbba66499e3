using NativeMtl.Kernels;

namespace NativeMtl.Tests.Emulation;

/// <summary>Deformable convolution's sampling kernels against the CPU backend. Two samples of 3 channels: the columns
/// (2·3·K·P·Q elements) and the offset pairs (2·K·P·Q) need several blocks, end in a partial one and wrap the
/// suite's two-block grids.</summary>
public class DeformConvKernelTests
{
    public static TheoryData<DType, DeformWindow> Cases()
    {
        var data = new TheoryData<DType, DeformWindow>();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            data.Add(dtype, new DeformWindow(3, 3, 1, 1, 1, 1, 1, 1));
            data.Add(dtype, new DeformWindow(2, 3, 2, 1, 0, 2, 2, 1));  // rectangular, strided along y, dilated along y, padded along x
        }
        return data;
    }

    private static readonly int[] Input = [2, 3, 7, 9];

    private static int[] OffsetShape(DeformWindow w) => [Input[0], 2 * w.Taps, w.OutputHeight(Input[2]), w.OutputWidth(Input[3])];

    private static int[] ColumnShape(DeformWindow w) => [Input[0], Input[1] * w.Taps, w.OutputHeight(Input[2]) * w.OutputWidth(Input[3])];

    private static int Count(int[] shape) => shape.Aggregate(1, (p, d) => p * d);

    /// <summary>Offsets in [−3, 3), so that many samples fall partly or wholly outside the image; every third one a
    /// multiple of ½, so that samples also land on pixels, on half pixels and on the edges (−1, H − 1) exactly.</summary>
    private static Twin Offsets(DType dtype, DeformWindow w) =>
        Twin.Of(dtype, TestData.Values(Count(OffsetShape(w)), 3, -3, 3).Select((v, i) => i % 3 == 0 ? Math.Round(v * 2) / 2 : v).ToArray());

    [Theory]
    [MemberData(nameof(Cases))]
    public void ColumnsMatchTheCpu(DType dtype, DeformWindow w)
    {
        int[] offsetShape = OffsetShape(w), columnShape = ColumnShape(w);
        using var x = Twin.Random(dtype, Count(Input), 1);
        using var offset = Offsets(dtype, w);
        using var columns = Twin.Blank(dtype, Count(columnShape));
        Emulated.OnBoth(b => b.DeformIm2Col(x.On(b, Input), offset.On(b, offsetShape), columns.On(b, columnShape), w));
        columns.AssertClose(dtype == DType.Float32 ? 1e-6 : 1e-14);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void InputGradientMatchesTheCpu(DType dtype, DeformWindow w)
    {
        int[] offsetShape = OffsetShape(w), columnShape = ColumnShape(w);
        using var gColumns = Twin.Random(dtype, Count(columnShape), 2);
        using var offset = Offsets(dtype, w);
        using var gx = Twin.Blank(dtype, Count(Input));
        Emulated.OnBoth(b => b.DeformIm2ColBackwardData(gColumns.On(b, columnShape), offset.On(b, offsetShape), gx.On(b, Input), w));
        gx.AssertClose(dtype == DType.Float32 ? 1e-5 : 1e-13);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void OffsetGradientMatchesTheCpu(DType dtype, DeformWindow w)
    {
        int[] offsetShape = OffsetShape(w), columnShape = ColumnShape(w);
        using var gColumns = Twin.Random(dtype, Count(columnShape), 2);
        using var x = Twin.Random(dtype, Count(Input), 1);
        using var offset = Offsets(dtype, w);
        using var gOffset = Twin.Blank(dtype, Count(offsetShape));
        Emulated.OnBoth(b => b.DeformIm2ColBackwardOffset(gColumns.On(b, columnShape), x.On(b, Input), offset.On(b, offsetShape), gOffset.On(b, offsetShape), w));
        gOffset.AssertClose(dtype == DType.Float32 ? 1e-5 : 1e-13);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void OffsetTangentMatchesTheCpu(DType dtype, DeformWindow w)
    {
        int[] offsetShape = OffsetShape(w), columnShape = ColumnShape(w);
        using var x = Twin.Random(dtype, Count(Input), 1);
        using var offset = Offsets(dtype, w);
        using var tOffset = Twin.Random(dtype, Count(offsetShape), 4);
        using var tColumns = Twin.Blank(dtype, Count(columnShape));
        Emulated.OnBoth(b => b.DeformIm2ColJvpOffset(x.On(b, Input), offset.On(b, offsetShape), tOffset.On(b, offsetShape), tColumns.On(b, columnShape), w));
        tColumns.AssertClose(dtype == DType.Float32 ? 1e-5 : 1e-13);
    }
}
