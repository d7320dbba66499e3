namespace NativeMtl.Tests;

/// <summary>Deterministic inputs for tests.</summary>
internal static class TestData
{
    public static double[] Values(int count, int seed, double low = -1, double high = 1)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => low + (high - low) * random.NextDouble()).ToArray();
    }

    /// <summary>A Float64 tensor of uniform values in [low, high).</summary>
    public static NativeMtl.Tensor Tensor(Shape shape, int seed, double low = -1, double high = 1, bool requiresGrad = false)
    {
        var t = Tensors.FromArray(Values((int)shape.Count, seed, low, high), shape);
        t.RequiresGrad = requiresGrad;
        return t;
    }

    public static void Close(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance * Math.Max(1, Math.Abs(expected[i])),
                $"element {i}: expected {expected[i]}, got {actual[i]}");
    }

    /// <summary>(f(x + h·e_j) − f(x − h·e_j)) / 2h for every j: the numeric gradient of a scalar function.</summary>
    public static double[] CentralDifferences(double[] at, Func<double[], double> f, double h = 1e-5)
    {
        var result = new double[at.Length];
        for (int j = 0; j < at.Length; j++)
        {
            var plus = (double[])at.Clone();
            var minus = (double[])at.Clone();
            plus[j] += h;
            minus[j] -= h;
            result[j] = (f(plus) - f(minus)) / (2 * h);
        }
        return result;
    }

    /// <summary>Normwise relative error ‖analytic − numeric‖ / ‖numeric‖ below 1e-6.</summary>
    public static void GradientClose(double[] numeric, double[] analytic)
    {
        double difference = Math.Sqrt(numeric.Zip(analytic, (n, a) => (n - a) * (n - a)).Sum());
        double norm = Math.Sqrt(numeric.Sum(v => v * v));
        Assert.True(difference / norm < 1e-6, $"relative error {difference / norm:E2}");
    }
}
