using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Tests.Kernels;

public class ElementwiseTests
{
    public static TheoryData<UnaryOp> UnaryOps => new(Enum.GetValues<UnaryOp>());

    private static double Reference(UnaryOp op, double x) => op switch
    {
        UnaryOp.Neg => -x,
        UnaryOp.Exp => Math.Exp(x),
        UnaryOp.Log => Math.Log(x),
        UnaryOp.Sqrt => Math.Sqrt(x),
        UnaryOp.Abs => Math.Abs(x),
        UnaryOp.Relu => Math.Max(x, 0),
        UnaryOp.Sigmoid => 1 / (1 + Math.Exp(-x)),
        UnaryOp.Tanh => Math.Tanh(x),
        UnaryOp.Sign => Math.Sign(x),
        UnaryOp.Square => x * x,
        UnaryOp.Reciprocal => 1 / x,
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    [Theory]
    [MemberData(nameof(UnaryOps))]
    public void UnaryOpsMatchTheMathLibraryInFloat64(UnaryOp op)
    {
        bool positive = op is UnaryOp.Log or UnaryOp.Sqrt;
        var values = TestData.Values(1001, 1, positive ? 0.1 : -3, 3);
        var y = Ops.Unary(op, Tensors.FromArray(values, values.Length)).ToArray<double>();
        TestData.Close(values.Select(v => Reference(op, v)).ToArray(), y, 1e-14);
    }

    [Theory]
    [MemberData(nameof(UnaryOps))]
    public void UnaryOpsMatchInFloat32OnAStridedView(UnaryOp op)
    {
        bool positive = op is UnaryOp.Log or UnaryOp.Sqrt;
        var values = TestData.Values(300, 2, positive ? 0.1 : -3, 3);
        var x = Ops.Transpose(Ops.Reshape(Tensors.FromArray(values.Select(v => (float)v).ToArray(), values.Length), 20, 15), 0, 1);
        var y = Ops.Unary(op, x).ToArray<float>().Select(v => (double)v).ToArray();
        // The transposed view's element (i, j) is the stored element (j, i): values[j·15 + i].
        var expected = new double[300];
        for (int i = 0; i < 15; i++)
            for (int j = 0; j < 20; j++)
                expected[i * 20 + j] = Reference(op, (float)values[j * 15 + i]);
        TestData.Close(expected, y, 1e-6);
    }

    /// <summary>Near 0, tanh(x) ≈ x: the result must keep its relative precision (and ±0 its sign) rather than carry
    /// the absolute error of computing e^{2x} − 1 (TensorPrimitives.Tanh gives −6e-8 for tanh(0) in Float32).</summary>
    [Fact]
    public void TanhNearZeroKeepsItsRelativePrecisionAndTheSignOfZero()
    {
        double[] values = [0.0, -0.0, 1e-30, -1e-10, 1e-5, -1e-3, 0.01, 0.3];
        var y32 = Ops.Unary(UnaryOp.Tanh, Tensors.FromArray(values.Select(v => (float)v).ToArray(), values.Length)).ToArray<float>();
        var y64 = Ops.Unary(UnaryOp.Tanh, Tensors.FromArray(values, values.Length)).ToArray<double>();
        for (int i = 0; i < values.Length; i++)
        {
            Assert.Equal(MathF.Tanh((float)values[i]), y32[i]);
            Assert.Equal(double.IsNegative(values[i]), double.IsNegative(y64[i]));
            Assert.True(Math.Abs(y64[i] - Math.Tanh(values[i])) <= 1e-15 * Math.Abs(Math.Tanh(values[i])), $"tanh({values[i]:R}) = {y64[i]:R}");
        }
    }

    [Fact]
    public void BinaryOpsBroadcastSizeOneAndMissingAxes()
    {
        var a = Tensors.FromArray([1.0, 2, 3, 4, 5, 6], 2, 1, 3);
        var b = Tensors.FromArray([10.0, 20], 2, 1);
        var y = Ops.Add(a, b);
        Assert.Equal(new Shape(2, 2, 3), y.Shape);
        Assert.Equal([11.0, 12, 13, 21, 22, 23, 14, 15, 16, 24, 25, 26], y.ToArray<double>());
    }

    [Theory]
    [InlineData(BinaryOp.Add, 3.5, 2.0, 5.5)]
    [InlineData(BinaryOp.Sub, 3.5, 2.0, 1.5)]
    [InlineData(BinaryOp.Mul, 3.5, 2.0, 7.0)]
    [InlineData(BinaryOp.Div, 3.5, 2.0, 1.75)]
    [InlineData(BinaryOp.Pow, 3.0, 2.0, 9.0)]
    [InlineData(BinaryOp.Equal, 2.0, 2.0, 1.0)]
    [InlineData(BinaryOp.Equal, 2.0, 3.0, 0.0)]
    [InlineData(BinaryOp.Greater, 3.0, 2.0, 1.0)]
    [InlineData(BinaryOp.Greater, 2.0, 2.0, 0.0)]
    [InlineData(BinaryOp.ReluGrad, 5.0, 0.5, 5.0)]
    [InlineData(BinaryOp.ReluGrad, 5.0, -0.5, 0.0)]
    [InlineData(BinaryOp.SigmoidGrad, 2.0, 0.25, 0.375)]
    [InlineData(BinaryOp.TanhGrad, 2.0, 0.5, 1.5)]
    public void BinaryOpsGiveHandWorkedValues(BinaryOp op, double a, double b, double expected)
    {
        Assert.Equal(expected, Ops.Binary(op, Tensors.Scalar(a, DType.Float64), Tensors.Scalar(b, DType.Float64)).Item(), 12);
    }

    private static double Reference(BinaryOp op, double a, double b) => op switch
    {
        BinaryOp.Add => a + b,
        BinaryOp.Sub => a - b,
        BinaryOp.Mul => a * b,
        BinaryOp.Div => a / b,
        BinaryOp.Pow => Math.Pow(a, b),
        BinaryOp.Equal => a == b ? 1 : 0,
        BinaryOp.Greater => a > b ? 1 : 0,
        BinaryOp.ReluGrad => b > 0 ? a : 0,
        BinaryOp.SigmoidGrad => a * b * (1 - b),
        BinaryOp.TanhGrad => a * (1 - b * b),
        _ => throw new ArgumentOutOfRangeException(nameof(op)),
    };

    public static TheoryData<BinaryOp> BinaryOps => new(Enum.GetValues<BinaryOp>());

    /// <summary>600 elements (three chunks of the CPU's 256, the last partial) with a different value at every
    /// position: every other element of 1200 against a dense tensor, and a broadcast scalar against it. Every third
    /// b equals its a, so Equal and Greater see both outcomes.</summary>
    [Theory]
    [MemberData(nameof(BinaryOps))]
    public void BinaryOpsMatchAReferenceAtEveryPositionOfAChunkedStridedRun(BinaryOp op)
    {
        var stored = TestData.Values(1200, 11, 0.5, 3);
        var a = Ops.Slice(Tensors.FromArray(stored, 1200), 0, 0, 1200, step: 2);
        var bValues = TestData.Values(600, 12, -2, 2);
        for (int i = 0; i < 600; i += 3) bValues[i] = stored[2 * i];
        var b = Tensors.FromArray(bValues, 600);
        var expected = Enumerable.Range(0, 600).Select(i => Reference(op, stored[2 * i], bValues[i])).ToArray();
        TestData.Close(expected, Ops.Binary(op, a, b).ToArray<double>(), 1e-14);

        var scalar = Ops.BroadcastTo(Tensors.Scalar(1.75, DType.Float64), new Shape(600));
        TestData.Close(bValues.Select(v => Reference(op, 1.75, v)).ToArray(), Ops.Binary(op, scalar, b).ToArray<double>(), 1e-14);
    }

    [Fact]
    public void BinaryOpsRejectMismatchedDTypes()
    {
        var e = Assert.Throws<ArgumentException>(() => Ops.Add(Tensors.Zeros(new Shape(2)), Tensors.Zeros(new Shape(2), DType.Float64)));
        Assert.Equal("Add: dtypes Float32 and Float64 differ; cast one first", e.Message);
    }

    [Theory]
    [InlineData(ScalarOp.MulAdd, 2.0, 3.0, 1.5, 6.0)]
    [InlineData(ScalarOp.Pow, 3.0, 0.0, 4.0, 64.0)]
    [InlineData(ScalarOp.Clamp, -1.0, 1.0, 4.0, 1.0)]
    [InlineData(ScalarOp.Clamp, -1.0, 1.0, -4.0, -1.0)]
    [InlineData(ScalarOp.Clamp, -1.0, 1.0, 0.5, 0.5)]
    [InlineData(ScalarOp.InRange, -1.0, 1.0, 1.0, 1.0)]
    [InlineData(ScalarOp.InRange, -1.0, 1.0, 1.5, 0.0)]
    public void ScalarOpsGiveHandWorkedValues(ScalarOp op, double a, double b, double x, double expected)
    {
        Assert.Equal(expected, Ops.Scalar(op, Tensors.Scalar(x, DType.Float64), a, b).Item(), 12);
    }

    [Fact]
    public void WhereSelectsByAConditionOfAnyDType()
    {
        var condition = Tensors.FromArray([1, 0, 3], 3);
        var y = Ops.Where(condition, Tensors.FromArray([1f, 2, 3], 3), Tensors.Full(new Shape(1), -1));
        Assert.Equal([1f, -1, 3], y.ToArray<float>());
    }

    [Fact]
    public void AddIntoAccumulatesInPlaceWithBroadcasting()
    {
        var d = Tensors.Ones(new Shape(2, 2), DType.Float64);
        Ops.AddInto(d, Tensors.FromArray([1.0, 2], 2));
        Assert.Equal([2.0, 3, 2, 3], d.ToArray<double>());
    }
}
