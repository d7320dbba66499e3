using NativeMtl.Kernels;

namespace NativeMtl.Tests.Kernels;

// NativeMtl.Tests.Tensor, a namespace, would otherwise hide the type.
using Tensor = NativeMtl.Tensor;

/// <summary>Moves test data between double arrays and tensors of either floating-point dtype, so one reference
/// in double checks both, and compares results element by element.</summary>
internal static class NnTestData
{
    /// <summary>Reproducible values uniform on [low, high).</summary>
    public static double[] Uniform(int count, int seed, double low = -2, double high = 2)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => low + (high - low) * random.NextDouble()).ToArray();
    }

    public static Tensor ToTensor(double[] values, DType dtype, params int[] shape) => dtype switch
    {
        DType.Float64 => Tensors.FromArray(values, shape),
        DType.Float32 => Tensors.FromArray(values.Select(v => (float)v).ToArray(), shape),
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
    };

    public static double[] ToDoubles(Tensor t) => t.DType == DType.Float64
        ? t.ToArray<double>()
        : t.ToArray<float>().Select(v => (double)v).ToArray();

    /// <summary>Rounds through Float32 where the test runs in Float32, so a reference sees the same inputs.</summary>
    public static double[] AsStored(double[] values, DType dtype) =>
        dtype == DType.Float32 ? values.Select(v => (double)(float)v).ToArray() : values;

    /// <summary>Each |actual − expected| is at most tolerance·max(1, |expected|).</summary>
    public static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double allowed = tolerance * Math.Max(1, Math.Abs(expected[i]));
            Assert.True(Math.Abs(actual[i] - expected[i]) <= allowed,
                $"element {i}: expected {expected[i]:R}, got {actual[i]:R} (allowed error {allowed:G3})");
        }
    }

    public static void AssertClose(double[] expected, Tensor actual, double tolerance) =>
        AssertClose(expected, ToDoubles(actual), tolerance);

    /// <summary>Float32 results are checked to single precision, Float64 ones to near double precision.</summary>
    public static double ToleranceFor(DType dtype) => dtype == DType.Float32 ? 2e-5 : 1e-12;
}
