namespace NativeMtl.Tests.Emulation;

public class GradientGeometryKernelTests
{
    // K = 3 fits one pass; K = 9 (45 pairs) takes two; P = 1 and 257 leave partial blocks, 300_001 spans the
    // maximum grid with a tail.
    [Theory]
    [InlineData(DType.Float32, 3, 1)]
    [InlineData(DType.Float64, 3, 257)]
    [InlineData(DType.Float64, 9, 1000)]
    [InlineData(DType.Float32, 4, 300_001)]
    public void GramMatchesTheCpuBackend(DType dtype, int k, int p)
    {
        using var g = Twin.Random(dtype, k * p, 11);
        using var gram = Twin.Blank(dtype, k * k);
        Emulated.OnBoth(b => b.GradientGram(g.On(b, [k, p]), gram.On(b, [k, k])));
        // The kernel sums every product in double; the CPU sums Float32 blocks of 4096 in Float32 first.
        gram.AssertClose(dtype == DType.Float32 ? 1e-5 : 1e-12);
    }

    [Theory]
    [InlineData(DType.Float32, 1, 5)]
    [InlineData(DType.Float64, 3, 1000)]
    [InlineData(DType.Float32, 5, 70_001)]
    public void CombineMatchesTheCpuBackend(DType dtype, int k, int p)
    {
        using var g = Twin.Random(dtype, k * p, 12);
        using var coefficients = Twin.Random(dtype, k, 13);
        using var y = Twin.Blank(dtype, p);
        Emulated.OnBoth(b => b.GradientCombine(g.On(b, [k, p]), coefficients.On(b, [k]), y.On(b, [p])));
        y.AssertClose(dtype == DType.Float32 ? 1e-6 : 1e-13);
    }

    [Theory]
    [InlineData(DType.Float32, 7)]
    [InlineData(DType.Float64, 1000)]
    [InlineData(DType.Float32, 70_001)]
    public void FusedMaskedL1MatchesTheCpuBackend(DType dtype, int n)
    {
        using var pred = Twin.Random(dtype, n, 14);
        using var target = Twin.Random(dtype, n, 15);
        using var mask = Twin.Of(dtype, Enumerable.Range(0, n).Select(i => i % 3 == 0 ? 0.0 : 1.0).ToArray());
        using var loss = Twin.Blank(dtype, 1);
        using var gradient = Twin.Blank(dtype, n);
        Emulated.OnBoth(b => b.MaskedL1(pred.On(b, [n]), target.On(b, [n]), mask.On(b, [n]), loss.On(b, []), gradient.On(b, [n])));
        loss.AssertClose(dtype == DType.Float32 ? 1e-6 : 1e-13);
        gradient.AssertClose(dtype == DType.Float32 ? 1e-6 : 1e-15);
    }

    [Fact]
    public void FusedMaskedL1OfAnEmptyMaskIsZero()
    {
        using var pred = Twin.Random(DType.Float64, 10, 16);
        using var zeros = Twin.Of(DType.Float64, new double[10]);
        using var loss = Twin.Blank(DType.Float64, 1);
        using var gradient = Twin.Blank(DType.Float64, 10);
        Emulated.OnBoth(b => b.MaskedL1(pred.On(b, [10]), zeros.On(b, [10]), zeros.On(b, [10]), loss.On(b, []), gradient.On(b, [10])));
        loss.AssertEqual();
        Assert.Equal(0.0, loss.Gpu()[0]);
        gradient.AssertEqual();
    }
}
