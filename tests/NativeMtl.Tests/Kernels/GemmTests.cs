using System.Numerics;
using NativeMtl.Kernels;
using NativeMtl.Kernels.Cpu;
using NativeMtl.Raw;

namespace NativeMtl.Tests.Kernels;

/// <summary>GEMM against a triple-loop reference. Sizes leave tails against every level of the blocking: the
/// 12-row and 32/16-column register tiles, the 144-row A blocks, the 256-deep (Float32) or 128-deep (Float64)
/// k slices and the 512-column B blocks.</summary>
public unsafe class GemmTests
{
    public static TheoryData<int, int, int, bool, bool> SizesAndTransposes()
    {
        var data = new TheoryData<int, int, int, bool, bool>();
        int[][] sizes = [[1, 1, 1], [7, 13, 5], [33, 65, 17], [130, 70, 300], [290, 530, 270]];
        foreach (var s in sizes)
        foreach (bool transA in new[] { false, true })
        foreach (bool transB in new[] { false, true })
            data.Add(s[0], s[1], s[2], transA, transB);
        return data;
    }

    [Theory]
    [MemberData(nameof(SizesAndTransposes))]
    public void FloatProductMatchesReference(int m, int n, int k, bool transA, bool transB) =>
        CheckMultiply<float>(m, n, k, transA, transB, alpha: 1, beta: 0);

    [Theory]
    [MemberData(nameof(SizesAndTransposes))]
    public void DoubleProductMatchesReference(int m, int n, int k, bool transA, bool transB) =>
        CheckMultiply<double>(m, n, k, transA, transB, alpha: 1, beta: 0);

    [Fact]
    public void BetaZeroOverwritesNaNInC()
    {
        var a = Random<float>(40 * 50, 1);
        var b = Random<float>(50 * 60, 2);
        var c = Enumerable.Repeat(float.NaN, 40 * 60).ToArray();
        Multiply(40, 60, 50, 1f, a, 50, 1, b, 60, 1, 0f, c);
        AssertClose(Reference(40, 60, 50, 1.0, a, b, 0.0, c), c, a, b, 40, 60, 50);
    }

    [Fact]
    public void BetaOneAccumulatesOntoC()
    {
        var a = Random<double>(70 * 300, 3);
        var b = Random<double>(300 * 90, 4);
        var original = Random<double>(70 * 90, 5);
        var c = original.ToArray();
        Multiply(70, 90, 300, 1.0, a, 300, 1, b, 90, 1, 1.0, c);
        AssertClose(Reference(70, 90, 300, 1.0, a, b, 1.0, original), c, a, b, 70, 90, 300, beta: 1, originalC: original);
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AlphaAndBetaScaleProductAndC(bool transposed)
    {
        CheckMultiply<float>(37, 75, 290, transposed, transposed, alpha: 0.5, beta: -2);
        CheckMultiply<double>(37, 75, 290, transposed, transposed, alpha: 0.5, beta: -2);
    }

    [Fact]
    public void EmptyInnerDimensionGivesBetaTimesC()
    {
        var zeroed = Enumerable.Repeat(double.NaN, 6).ToArray();
        Multiply(2, 3, 0, 1.0, [], 0, 1, [], 3, 1, 0.0, zeroed);
        Assert.Equal(new double[6], zeroed);

        double[] scaled = [1, 2, 3, 4, 5, 6];
        Multiply(2, 3, 0, 1.0, [], 0, 1, [], 3, 1, 3.0, scaled);
        Assert.Equal([3, 6, 9, 12, 15, 18], scaled);
    }

    [Fact]
    public void HalfPrecisionTakesTheScalarPathExactlyOnSmallIntegers()
    {
        // Products and sums of small integers are exact in Half, so the scalar path must match bit for bit.
        const int m = 40, n = 40, k = 40;
        var random = new Random(16);
        var a = Enumerable.Range(0, m * k).Select(_ => (Half)random.Next(-4, 5)).ToArray();
        var b = Enumerable.Range(0, k * n).Select(_ => (Half)random.Next(-4, 5)).ToArray();
        var c = new Half[m * n];
        Multiply(m, n, k, Half.One, a, k, 1, b, n, 1, Half.Zero, c);
        Assert.Equal(Reference(m, n, k, 1.0, a, b, 0.0, c), c.Select(v => (double)v));
    }

    [Theory]
    [InlineData(300, 200, 150)]
    [InlineData(40, 900, 130)]
    public void ParallelAndSerialGiveIdenticalResults(int m, int n, int k)
    {
        var a = Random<float>(m * k, 6);
        var b = Random<float>(k * n, 7);
        var serial = new float[m * n];
        var parallel = new float[m * n];
        Multiply(m, n, k, 1f, a, k, 1, b, n, 1, 0f, serial, parallel: false);
        Multiply(m, n, k, 1f, a, k, 1, b, n, 1, 0f, parallel, parallel: true);
        Assert.Equal(serial, parallel);
    }

    [Theory]
    [InlineData(false, false)]
    [InlineData(false, true)]
    [InlineData(true, false)]
    [InlineData(true, true)]
    public void MatmulOfTransposedViewsMatchesReference(bool transA, bool transB)
    {
        const int m = 45, n = 70, k = 33;
        var a = Random<float>(m * k, 8);
        var b = Random<float>(k * n, 9);
        using var scope = DisposeScope.Enter();
        // An operand asked for transposed is stored as its transpose and viewed back through Ops.Transpose.
        var ta = transA ? Ops.Transpose(Tensors.FromArray(Transpose(a, m, k), k, m), 0, 1) : Tensors.FromArray(a, m, k);
        var tb = transB ? Ops.Transpose(Tensors.FromArray(Transpose(b, k, n), n, k), 0, 1) : Tensors.FromArray(b, k, n);
        var c = Ops.Matmul(ta, tb);
        AssertClose(Reference(m, n, k, 1.0, a, b, 0.0, new float[m * n]), c.ToArray<float>(), a, b, m, n, k);
    }

    [Fact]
    public void BatchedMatmulReusesRankTwoOperandForEveryBatch()
    {
        const int batch = 3, m = 20, n = 35, k = 27;
        var a = Random<double>(batch * m * k, 10);
        var b = Random<double>(k * n, 11);
        using var scope = DisposeScope.Enter();
        var c = Ops.Matmul(Tensors.FromArray(a, batch, m, k), Tensors.FromArray(b, k, n));
        Assert.Equal(new Shape(batch, m, n), c.Shape);
        var result = c.ToArray<double>();
        for (int i = 0; i < batch; i++)
        {
            var ai = a.AsSpan(i * m * k, m * k).ToArray();
            AssertClose(Reference(m, n, k, 1.0, ai, b, 0.0, new double[m * n]), result.AsSpan(i * m * n, m * n).ToArray(), ai, b, m, n, k);
        }
    }

    [Fact]
    public void BackendGemmRepeatsMatrixWithZeroBatchStride()
    {
        const int batch = 4, m = 9, n = 40, k = 15;
        var a = Random<float>(m * k, 12);
        var b = Random<float>(batch * k * n, 13);
        using var scope = DisposeScope.Enter();
        var ta = Tensors.FromArray(a, m, k);
        var tb = Tensors.FromArray(b, batch, k, n);
        var tc = Tensors.Full(new Shape(batch, m, n), 1);
        var aRef = new TensorRef(ta.Ref.Buffer, DType.Float32, 0, [batch, m, k], [0, k, 1]);
        CpuBackend.Instance.Gemm(aRef, tb.Ref, tc.Ref, alpha: 2, beta: 0.5);
        var result = tc.ToArray<float>();
        for (int i = 0; i < batch; i++)
        {
            var bi = b.AsSpan(i * k * n, k * n).ToArray();
            var ones = Enumerable.Repeat(1f, m * n).ToArray();
            AssertClose(Reference(m, n, k, 2.0, a, bi, 0.5, ones), result.AsSpan(i * m * n, m * n).ToArray(), a, bi, m, n, k,
                alpha: 2, beta: 0.5, originalC: ones);
        }
    }

    [Fact]
    public void ManySmallBatchedProductsMatchReference()
    {
        const int batch = 100, m = 20, n = 30, k = 40;
        var a = Random<float>(batch * m * k, 14);
        var b = Random<float>(batch * k * n, 15);
        using var scope = DisposeScope.Enter();
        var c = Ops.Matmul(Tensors.FromArray(a, batch, m, k), Tensors.FromArray(b, batch, k, n));
        var result = c.ToArray<float>();
        for (int i = 0; i < batch; i++)
        {
            var ai = a.AsSpan(i * m * k, m * k).ToArray();
            var bi = b.AsSpan(i * k * n, k * n).ToArray();
            AssertClose(Reference(m, n, k, 1.0, ai, bi, 0.0, new float[m * n]), result.AsSpan(i * m * n, m * n).ToArray(), ai, bi, m, n, k);
        }
    }

    /// <summary>Runs GemmKernel.Multiply with each operand stored row-major or transposed (read through strides).</summary>
    private static void CheckMultiply<T>(int m, int n, int k, bool transA, bool transB, double alpha, double beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var a = Random<T>(m * k, m + 31 * n + 7 * k);
        var b = Random<T>(k * n, 3 * m + n + k);
        var original = Random<T>(m * n, m * n);
        var c = original.ToArray();
        long aRow = transA ? 1 : k, aCol = transA ? m : 1;
        long bRow = transB ? 1 : n, bCol = transB ? k : 1;
        var storedA = transA ? Transpose(a, m, k) : a;
        var storedB = transB ? Transpose(b, k, n) : b;
        Multiply(m, n, k, T.CreateTruncating(alpha), storedA, aRow, aCol, storedB, bRow, bCol, T.CreateTruncating(beta), c);
        AssertClose(Reference(m, n, k, alpha, a, b, beta, original), c, a, b, m, n, k, alpha, beta, original);
    }

    private static void Multiply<T>(int m, int n, int k, T alpha, T[] a, long aRow, long aCol, T[] b, long bRow, long bCol,
        T beta, T[] c, bool parallel = true) where T : unmanaged, IFloatingPointIeee754<T>
    {
        fixed (T* pa = a, pb = b, pc = c)
            GemmKernel.Multiply(m, n, k, alpha, pa, aRow, aCol, pb, bRow, bCol, beta, pc, n, parallel);
    }

    /// <summary>alpha·A·B + beta·C in double for row-major A [m,k], B [k,n] and C [m,n], one dot product per element;
    /// beta = 0 ignores C.</summary>
    private static double[] Reference<T>(int m, int n, int k, double alpha, T[] a, T[] b, double beta, T[] c)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var result = new double[m * n];
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            double acc = 0;
            for (int p = 0; p < k; p++) acc += double.CreateTruncating(a[i * k + p]) * double.CreateTruncating(b[p * n + j]);
            result[i * n + j] = alpha * acc + (beta == 0 ? 0 : beta * double.CreateTruncating(c[i * n + j]));
        }
        return result;
    }

    /// <summary>Each element within a rounding bound that scales with Σ|a·b| (so cancellation can neither hide nor fake
    /// an error) and with √k for the rounding walk along k: 1e-6 relative for float, 1e-13 for double, plus the
    /// rounding of beta·C.</summary>
    private static void AssertClose<T>(double[] expected, T[] actual, T[] a, T[] b, int m, int n, int k,
        double alpha = 1, double beta = 0, T[]? originalC = null) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double relative = typeof(T) == typeof(float) ? 1e-6 : 1e-13;
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            double magnitude = 0;
            for (int p = 0; p < k; p++) magnitude += Math.Abs(double.CreateTruncating(a[i * k + p]) * double.CreateTruncating(b[p * n + j]));
            double fromC = originalC is null ? 0 : Math.Abs(beta * double.CreateTruncating(originalC[i * n + j]));
            double tolerance = relative * (Math.Sqrt(Math.Max(k, 1)) * Math.Abs(alpha) * magnitude + fromC);
            double got = double.CreateTruncating(actual[i * n + j]);
            if (!(Math.Abs(got - expected[i * n + j]) <= tolerance))
                Assert.Fail($"C[{i},{j}] = {got}, expected {expected[i * n + j]} (tolerance {tolerance:G3}, m={m} n={n} k={k})");
        }
    }

    private static T[] Random<T>(int count, int seed) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var random = new Random(seed);
        var values = new T[count];
        for (int i = 0; i < count; i++) values[i] = T.CreateTruncating(random.NextDouble() * 2 - 1);
        return values;
    }

    /// <summary>The rows × cols row-major matrix stored column by column.</summary>
    private static T[] Transpose<T>(T[] x, int rows, int cols)
    {
        var t = new T[x.Length];
        for (int i = 0; i < rows; i++)
        for (int j = 0; j < cols; j++)
            t[j * rows + i] = x[i * cols + j];
        return t;
    }
}
