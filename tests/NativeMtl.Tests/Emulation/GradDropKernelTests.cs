namespace NativeMtl.Tests.Emulation;

public class GradDropKernelTests
{
    /// <summary>Three tasks, two samples, 700 positions (the two emulated blocks of 256 wrap twice): the same sums in
    /// double and the same Philox draws on both sides; feature zeros and exact ties included.</summary>
    [Theory]
    [InlineData(DType.Float32, 0.0)]
    [InlineData(DType.Float64, 0.3)]
    public void TheFusedKernelMatchesTheCpu(DType dtype, double leak)
    {
        const int k = 3, n = 2, f = 700;
        var features = TestData.Values(n * f, 2);
        for (int i = 0; i < features.Length; i += 37) features[i] = 0;
        using var g = Twin.Random(dtype, k * n * f, 1);
        using var x = Twin.Of(dtype, features);
        using var y = Twin.Blank(dtype, n * f);
        Emulated.OnBoth(b => b.GradDrop(g.On(b, [k, n, f]), x.On(b, [n, f]), 7, 1234, leak, y.On(b, [n, f])));
        y.AssertEqual();
    }
}
