using NativeMtl.Raw;

namespace NativeMtl.Tests.Kernels;

using Tensor = NativeMtl.Tensor;

public class SoftmaxTests
{
    private static readonly int[] Shape4 = [2, 3, 4, 5];

    [Fact]
    public void SoftmaxOfLogsOfOneTwoThreeIsOneSixthOneThirdOneHalf()
    {
        // exp(0, ln 2, ln 3) = (1, 2, 3), which sum to 6.
        using var x = Tensors.FromArray([0, Math.Log(2), Math.Log(3)], 1, 3);
        using var y = Ops.Softmax(x, -1);
        AssertClose([1.0 / 6, 1.0 / 3, 1.0 / 2], y.ToArray<double>(), 1e-15);
    }

    [Theory]
    [InlineData(DType.Float32, 3)]
    [InlineData(DType.Float64, 3)]
    [InlineData(DType.Float32, 1)]
    [InlineData(DType.Float64, 1)]
    [InlineData(DType.Float64, 0)]
    [InlineData(DType.Float64, 2)]
    public void SoftmaxMatchesNaiveReferenceAlongEachAxis(DType dtype, int axis)
    {
        var data = RandomValues(120, seed: axis);
        using var x = Make(data, dtype, Shape4);
        using var y = Ops.Softmax(x, axis);
        AssertClose(NaiveSoftmax(data, Shape4, axis, log: false), Read(y), Tolerance(dtype));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void LogSoftmaxMatchesNaiveReferenceAlongAnInnerAxis(DType dtype)
    {
        var data = RandomValues(120, seed: 7);
        using var x = Make(data, dtype, Shape4);
        using var y = Ops.Softmax(x, 1, log: true);
        AssertClose(NaiveSoftmax(data, Shape4, 1, log: true), Read(y), Tolerance(dtype));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void InnerAxisWiderThanOneTileAndLargeEnoughToRunInParallelMatchesNaiveReference(bool log)
    {
        int[] shape = [4, 10, 1500];
        var data = RandomValues(4 * 10 * 1500, seed: 3);
        using var x = Make(data, DType.Float64, shape);
        using var y = Ops.Softmax(x, 1, log);
        AssertClose(NaiveSoftmax(data, shape, 1, log), Read(y), 1e-12);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LongRowsManyEnoughToRunInParallelMatchNaiveReference(bool log)
    {
        int[] shape = [64, 1300];
        var data = RandomValues(64 * 1300, seed: 4);
        using var x = Make(data, DType.Float64, shape);
        using var y = Ops.Softmax(x, 1, log);
        AssertClose(NaiveSoftmax(data, shape, 1, log), Read(y), 1e-12);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void EverySoftmaxSumsToOne(int axis)
    {
        using var x = Make(RandomValues(120, seed: 11), DType.Float32, Shape4);
        using var y = Ops.Softmax(x, axis);
        var values = Read(y);
        Assert.All(Vectors(Shape4, axis), indices => Assert.Equal(1, indices.Sum(i => values[i]), 1e-6));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LargeInputsGiveFiniteProbabilitiesAlongTheLastAxis(bool log)
    {
        // softmax(1000, 1001) = softmax(0, 1) = (1, e)/(1 + e) = (0.2689414, 0.7310586);
        // log-softmax = (0, 1) − ln(1 + e) = (−1.3132617, −0.3132617). exp(1000) itself overflows.
        using var x = Tensors.FromArray([1000f, 1001f], 1, 2);
        using var y = Ops.Softmax(x, 1, log);
        double[] expected = log ? [-1.3132617, -0.3132617] : [0.2689414, 0.7310586];
        AssertClose(expected, Read(y), 1e-6);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void LargeInputsGiveFiniteProbabilitiesAlongAnInnerAxis(bool log)
    {
        using var x = Tensors.FromArray([1000f, 1001f], 2, 1);
        using var y = Ops.Softmax(x, 0, log);
        double[] expected = log ? [-1.3132617, -0.3132617] : [0.2689414, 0.7310586];
        AssertClose(expected, Read(y), 1e-6);
    }

    [Theory]
    [InlineData(1)]
    [InlineData(3)]
    public void LogSoftmaxEqualsLogOfSoftmax(int axis)
    {
        using var x = Make(RandomValues(120, seed: 5), DType.Float64, Shape4);
        using var softmax = Ops.Softmax(x, axis);
        using var logSoftmax = Ops.Softmax(x, axis, log: true);
        AssertClose(softmax.ToArray<double>().Select(p => Math.Log(p)).ToArray(), logSoftmax.ToArray<double>(), 1e-13);
    }

    [Theory]
    [InlineData(DType.Float64, 3, false)]
    [InlineData(DType.Float64, 3, true)]
    [InlineData(DType.Float64, 1, false)]
    [InlineData(DType.Float64, 1, true)]
    [InlineData(DType.Float32, 3, false)]
    [InlineData(DType.Float32, 1, true)]
    public void BackwardMatchesNaiveJacobianVectorProduct(DType dtype, int axis, bool log)
    {
        var data = RandomValues(120, seed: 21);
        var upstream = RandomValues(120, seed: 22);
        using var x = Make(data, dtype, Shape4);
        using var gy = Make(upstream, dtype, Shape4);
        using var y = Ops.Softmax(x, axis, log);
        using var gx = Ops.SoftmaxBackward(y, gy, axis, log);
        AssertClose(NaiveJacobianVectorProduct(data, upstream, Shape4, axis, log), Read(gx), Tolerance(dtype));
    }

    [Theory]
    [InlineData(2, false)]
    [InlineData(2, true)]
    [InlineData(1, false)]
    [InlineData(1, true)]
    public void BackwardMatchesCentralFiniteDifferences(int axis, bool log)
    {
        int[] shape = [2, 3, 4];
        var data = RandomValues(24, seed: 31);
        var upstream = RandomValues(24, seed: 32);
        using var x = Make(data, DType.Float64, shape);
        using var gy = Make(upstream, DType.Float64, shape);
        using var y = Ops.Softmax(x, axis, log);
        using var gx = Ops.SoftmaxBackward(y, gy, axis, log);

        // L(x) = Σ gy·f(x); ∂L/∂x_j ≈ (L(x + h·e_j) − L(x − h·e_j)) / 2h.
        double Objective(double[] input)
        {
            using var xi = Make(input, DType.Float64, shape);
            using var yi = Ops.Softmax(xi, axis, log);
            return yi.ToArray<double>().Zip(upstream, (a, b) => a * b).Sum();
        }
        TestData.GradientClose(TestData.CentralDifferences(data, Objective), gx.ToArray<double>());
    }

    /// <summary>Softmax computed per vector with explicit index arithmetic, in double.</summary>
    private static double[] NaiveSoftmax(double[] x, int[] shape, int axis, bool log)
    {
        var y = new double[x.Length];
        foreach (var indices in Vectors(shape, axis))
        {
            double max = indices.Max(i => x[i]);
            double sum = indices.Sum(i => Math.Exp(x[i] - max));
            foreach (var i in indices) y[i] = log ? x[i] - max - Math.Log(sum) : Math.Exp(x[i] - max) / sum;
        }
        return y;
    }

    /// <summary>gx_j = Σ_i gy_i·∂f_i/∂x_j with the Jacobian written out: softmax ∂s_i/∂x_j = s_i(δ_ij − s_j),
    /// log-softmax ∂l_i/∂x_j = δ_ij − s_j.</summary>
    private static double[] NaiveJacobianVectorProduct(double[] x, double[] gy, int[] shape, int axis, bool log)
    {
        var s = NaiveSoftmax(x, shape, axis, log: false);
        var gx = new double[x.Length];
        foreach (var indices in Vectors(shape, axis))
        {
            foreach (var j in indices)
            {
                double total = 0;
                foreach (var i in indices)
                {
                    double delta = i == j ? 1 : 0;
                    double jacobian = log ? delta - s[j] : s[i] * (delta - s[j]);
                    total += gy[i] * jacobian;
                }
                gx[j] = total;
            }
        }
        return gx;
    }

    /// <summary>Flat row-major indices of every vector along <paramref name="axis"/>.</summary>
    private static IEnumerable<int[]> Vectors(int[] shape, int axis)
    {
        int outer = shape[..axis].Aggregate(1, (a, b) => a * b);
        int inner = shape[(axis + 1)..].Aggregate(1, (a, b) => a * b);
        int size = shape[axis];
        for (int o = 0; o < outer; o++)
            for (int k = 0; k < inner; k++)
                yield return Enumerable.Range(0, size).Select(c => (o * size + c) * inner + k).ToArray();
    }

    private static double[] RandomValues(int count, int seed)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.NextDouble() * 6 - 3).ToArray();
    }

    private static Tensor Make(double[] data, DType dtype, params int[] shape) => dtype == DType.Float64
        ? Tensors.FromArray(data, shape)
        : Tensors.FromArray(data.Select(v => (float)v).ToArray(), shape);

    private static double[] Read(Tensor t) => t.DType == DType.Float64
        ? t.ToArray<double>()
        : t.ToArray<float>().Select(v => (double)v).ToArray();

    private static double Tolerance(DType dtype) => dtype == DType.Float64 ? 1e-13 : 1e-6;

    private static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance,
                $"element {i}: expected {expected[i]:R}, got {actual[i]:R} (tolerance {tolerance:E1})");
    }
}
