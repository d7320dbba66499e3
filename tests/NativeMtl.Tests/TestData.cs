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
}
