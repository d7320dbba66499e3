namespace NativeMtl.Tests.Emulation;

public class ClassSumKernelTests
{
    /// <summary>Labels cycling through −1 (no class), every class, and C (out of range, no class either).</summary>
    private static double[] Labels(int count, int classes) => Enumerable.Range(0, count).Select(i => (double)(i * 7 % (classes + 2) - 1)).ToArray();

    [Theory]
    [InlineData(DType.Float32, 1)]
    [InlineData(DType.Float32, 13)]
    [InlineData(DType.Float64, 5)]
    public void EachClassSumsItsOwnPositionsOnly(DType dtype, int classes)
    {
        const int n = 2 * 3 * 257;
        using var values = Twin.Random(dtype, n, 1);
        using var labels = Twin.Of(DType.Int32, Labels(n, classes));
        using var sums = Twin.Blank(dtype, classes);
        Emulated.OnBoth(b => b.ClassSum(values.On(b, [2, 3, 257]), labels.On(b, [2, 3, 257]), sums.On(b, [classes])));
        sums.AssertClose(dtype == DType.Float32 ? 1e-6 : 1e-14);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void TheGatherReadsEachPositionsClassAndZeroWithoutOne(DType dtype)
    {
        const int n = 3 * 301, classes = 6;
        using var g = Twin.Random(dtype, classes, 2);
        using var labels = Twin.Of(DType.Int32, Labels(n, classes));
        using var y = Twin.Blank(dtype, n);
        Emulated.OnBoth(b => b.ClassGather(g.On(b, [classes]), labels.On(b, [3, 301]), y.On(b, [3, 301])));
        y.AssertEqual();
    }
}
