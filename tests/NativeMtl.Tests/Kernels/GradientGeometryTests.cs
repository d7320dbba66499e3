using NativeMtl.Raw;

namespace NativeMtl.Tests.Kernels;

public class GradientGeometryTests
{
    [Theory]
    [InlineData(1, 7)]
    [InlineData(3, 4096)]
    [InlineData(4, 100_003)]
    public void GramHoldsEveryInnerProductOfTheRows(int k, int p)
    {
        using var scope = DisposeScope.Enter();
        var values = TestData.Values(k * p, 1);
        var gram = Ops.GradientGram(Tensors.FromArray(values, k, p)).ToArray<double>();
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++)
            {
                double dot = 0;
                for (int c = 0; c < p; c++) dot += values[i * p + c] * values[j * p + c];
                Assert.Equal(dot, gram[i * k + j], 1e-9 * Math.Max(1, Math.Abs(dot)));
            }
    }

    [Fact]
    public void GramOfFloat32GradientsIsTheSameOnEveryRun()
    {
        using var scope = DisposeScope.Enter();
        var g = Tensors.Normal(new Shape(3, 300_000), new Generator(2));
        var first = Ops.GradientGram(g).ToArray<float>();
        for (int run = 0; run < 5; run++) Assert.Equal(first, Ops.GradientGram(g).ToArray<float>());
    }

    [Fact]
    public void CombineWeighsEachRowByItsDeviceCoefficient()
    {
        using var scope = DisposeScope.Enter();
        var g = Tensors.FromArray([1.0, 2, 3, 10, 20, 30], 2, 3);
        var y = Ops.GradientCombine(g, Tensors.FromArray([0.5, -1.0], 2));
        Assert.Equal([-9.5, -19, -28.5], y.ToArray<double>());
    }

    [Fact]
    public void CombineOfALargeMatrixMatchesANaiveSum()
    {
        using var scope = DisposeScope.Enter();
        const int k = 3, p = 70_001;
        var values = TestData.Values(k * p, 3);
        var y = Ops.GradientCombine(Tensors.FromArray(values, k, p), Tensors.FromArray([2.0, -1, 0.25], 3)).ToArray<double>();
        var expected = Enumerable.Range(0, p).Select(c => 2 * values[c] - values[p + c] + 0.25 * values[2 * p + c]).ToArray();
        TestData.Close(expected, y, 1e-15);
    }

    [Fact]
    public void CombineRejectsTheWrongNumberOfCoefficients()
    {
        using var scope = DisposeScope.Enter();
        var e = Assert.Throws<ShapeException>(() => Ops.GradientCombine(Tensors.Zeros(new Shape(2, 5)), Tensors.Zeros(new Shape(3))));
        Assert.Equal("GradientCombine: coefficients [3] do not match 2 gradient rows of [2, 5]", e.Message);
    }
}
