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
        var expected = Ops.Cast(x, DType.Float64).ToArray<double>().Select(v => Reference(op, v)).ToArray();
        TestData.Close(expected, y, 1e-6);
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
        // A broadcast scalar and a 600-element strided run exercise every chunked path.
        var big = Ops.BroadcastTo(Tensors.Scalar(a, DType.Float64), new Shape(600));
        var y = Ops.Binary(op, big, Tensors.Full(new Shape(600), b, DType.Float64)).ToArray<double>();
        Assert.All(y, v => Assert.Equal(expected, v, 12));
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
