using NativeMtl.Kernels;

namespace NativeMtl.Tests.Emulation;

public class ElementwiseKernelTests
{
    private static readonly int[] Shape = [7, 13, 11];

    public static TheoryData<UnaryOp, DType> UnaryCases() => Cases<UnaryOp>();

    public static TheoryData<ScalarOp, DType> ScalarCases() => Cases<ScalarOp>();

    public static TheoryData<BinaryOp, DType> BinaryCases() => Cases<BinaryOp>();

    private static TheoryData<TOp, DType> Cases<TOp>() where TOp : struct, Enum
    {
        var data = new TheoryData<TOp, DType>();
        foreach (var op in Enum.GetValues<TOp>())
        {
            data.Add(op, DType.Float32);
            data.Add(op, DType.Float64);
        }
        return data;
    }

    /// <summary>1e-5 for Float32 (the device's fast exp2/log2), 1e-13 for Float64 (the prelude's polynomials).</summary>
    private static double Tolerance(DType dtype) => dtype == DType.Float32 ? 1e-5 : 1e-13;

    [Theory]
    [MemberData(nameof(UnaryCases))]
    public void UnaryOpOverAPermutedInputMatchesTheCpu(UnaryOp op, DType dtype)
    {
        bool positive = op is UnaryOp.Log or UnaryOp.Sqrt;
        using var x = Twin.Random(dtype, 1001, (int)op, positive ? 0.01 : -4, 4);
        using var y = Twin.Blank(dtype, 1001);
        Emulated.OnBoth(b => b.Unary(op, x.On(b, Shape, [1, 7 * 11, 7]), y.On(b, Shape)));
        y.AssertClose(Tolerance(dtype));
    }

    [Theory]
    [InlineData(UnaryOp.Relu)]
    [InlineData(UnaryOp.Sign)]
    [InlineData(UnaryOp.Abs)]
    [InlineData(UnaryOp.Tanh)]
    [InlineData(UnaryOp.Sigmoid)]
    [InlineData(UnaryOp.Exp)]
    [InlineData(UnaryOp.Log)]
    public void UnaryOpOnSpecialValuesMatchesTheCpu(UnaryOp op)
    {
        // 1e-40 is a Float32 denormal, 1e-310 a Float64 one (0 in Float32); exp(−100) ≈ 3.7e-44 is a Float32 denormal.
        double[] values = [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.0, -0.0, 1e-30, -1e-30, 88, -100, 1e-3, 1e-40, -1e-40, 1e-310, -1e-310];
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            using var x = Twin.Of(dtype, values);
            using var y = Twin.Blank(dtype, values.Length);
            Emulated.OnBoth(b => b.Unary(op, x.On(b, [values.Length]), y.On(b, [values.Length])));
            y.AssertRelativelyClose(Tolerance(dtype));
        }
    }

    [Theory]
    [MemberData(nameof(ScalarCases))]
    public void ScalarOpMatchesTheCpu(ScalarOp op, DType dtype)
    {
        using var x = Twin.Random(dtype, 1001, 10 + (int)op, op == ScalarOp.Pow ? 0.05 : -3, 3);
        using var y = Twin.Blank(dtype, 1001);
        double a = op == ScalarOp.Pow ? 2.5 : -0.75, b2 = 1.5;
        Emulated.OnBoth(b => b.Scalar(op, x.On(b, Shape), a, b2, y.On(b, Shape)));
        y.AssertClose(Tolerance(dtype));
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void PowOfNegativeBasesWithIntegralExponentsKeepsTheSign(DType dtype)
    {
        using var x = Twin.Of(dtype, [-2, -0.5, -3, 0, 2]);
        using var e = Twin.Of(dtype, [3, 2, -1, -2, 0.5]);
        using var y = Twin.Blank(dtype, 5);
        Emulated.OnBoth(b => b.Binary(BinaryOp.Pow, x.On(b, [5]), e.On(b, [5]), y.On(b, [5])));
        y.AssertClose(Tolerance(dtype));
    }

    [Theory]
    [MemberData(nameof(BinaryCases))]
    public void BinaryOpWithABroadcastOperandMatchesTheCpu(BinaryOp op, DType dtype)
    {
        using var a = Twin.Random(dtype, 1001, 20 + (int)op, op == BinaryOp.Pow ? 0.05 : -2, 2);
        using var row = Twin.Random(dtype, 11, 40 + (int)op, op == BinaryOp.Div ? 0.5 : -2, 2);
        using var y = Twin.Blank(dtype, 1001);
        // b repeats one row of 11 across the first two axes; Equal and Greater see exact ties on the diagonal.
        Emulated.OnBoth(b => b.Binary(op, a.On(b, Shape), row.On(b, Shape, [0, 0, 1]), y.On(b, Shape)));
        y.AssertClose(Tolerance(dtype));
    }

    [Theory]
    [InlineData(DType.Float32, DType.Float32)]
    [InlineData(DType.Float32, DType.Float64)]
    [InlineData(DType.Float32, DType.Int32)]
    [InlineData(DType.Float64, DType.Float32)]
    [InlineData(DType.Float64, DType.Float64)]
    [InlineData(DType.Float64, DType.Int32)]
    public void WhereSelectsByAConditionOfAnyDType(DType dtype, DType conditionType)
    {
        using var c = Twin.Of(conditionType, Enumerable.Range(0, 1001).Select(i => (double)(i % 3 == 0 ? 0 : i % 5 - 2)).ToArray());
        using var a = Twin.Random(dtype, 1001, 1);
        using var bValues = Twin.Random(dtype, 1001, 2);
        using var y = Twin.Blank(dtype, 1001);
        Emulated.OnBoth(b => b.Where(c.On(b, Shape), a.On(b, Shape), bValues.On(b, Shape), y.On(b, Shape)));
        y.AssertEqual();
    }
}
