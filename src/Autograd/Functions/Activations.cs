using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl;

public static partial class F
{
    public static Tensor Exp(Tensor x)
    {
        var y = Ops.Unary(UnaryOp.Exp, x);
        return Autograd.Record("Exp", y, [x], [y], (gy, s, _) => [Ops.Mul(gy, s[0]!)], t => Ops.Mul(t[0]!, y));
    }

    public static Tensor Log(Tensor x) =>
        Autograd.Record("Log", Ops.Unary(UnaryOp.Log, x), [x], [x], (gy, s, _) => [Ops.Div(gy, s[0]!)], t => Ops.Div(t[0]!, x));

    public static Tensor Sqrt(Tensor x)
    {
        var y = Ops.Unary(UnaryOp.Sqrt, x);
        return Autograd.Record("Sqrt", y, [x], [y], (gy, s, _) => [Ops.Div(Ops.MulAdd(gy, 0.5), s[0]!)], t => Ops.Div(Ops.MulAdd(t[0]!, 0.5), y));
    }

    /// <summary>x^p for a host exponent p.</summary>
    public static Tensor Pow(Tensor x, double p)
    {
        Tensor Slope(Tensor at) => Ops.MulAdd(Ops.Scalar(ScalarOp.Pow, at, p - 1), p);
        return Autograd.Record("Pow", Ops.Scalar(ScalarOp.Pow, x, p), [x], [x], (gy, s, _) => [Ops.Mul(gy, Slope(s[0]!))], t => Ops.Mul(t[0]!, Slope(x)));
    }

    /// <summary>|x|, with gradient sign(x) (0 at 0).</summary>
    public static Tensor Abs(Tensor x) =>
        Autograd.Record("Abs", Ops.Unary(UnaryOp.Abs, x), [x], [x], (gy, s, _) => [Ops.Mul(gy, Ops.Unary(UnaryOp.Sign, s[0]!))],
            t => Ops.Mul(t[0]!, Ops.Unary(UnaryOp.Sign, x)));

    /// <summary>max(x, 0). Its rule reads the output (y &gt; 0 exactly where x &gt; 0), which the next layer
    /// usually saves anyway, so the input can go as soon as its handle does.</summary>
    public static Tensor Relu(Tensor x)
    {
        var y = Ops.Unary(UnaryOp.Relu, x);
        return Autograd.Record("Relu", y, [x], [y], (gy, s, _) => [Ops.Binary(BinaryOp.ReluGrad, gy, s[0]!)], t => Ops.Binary(BinaryOp.ReluGrad, t[0]!, y));
    }

    public static Tensor Sigmoid(Tensor x)
    {
        var y = Ops.Unary(UnaryOp.Sigmoid, x);
        return Autograd.Record("Sigmoid", y, [x], [y], (gy, s, _) => [Ops.Binary(BinaryOp.SigmoidGrad, gy, s[0]!)],
            t => Ops.Binary(BinaryOp.SigmoidGrad, t[0]!, y));
    }

    public static Tensor Tanh(Tensor x)
    {
        var y = Ops.Unary(UnaryOp.Tanh, x);
        return Autograd.Record("Tanh", y, [x], [y], (gy, s, _) => [Ops.Binary(BinaryOp.TanhGrad, gy, s[0]!)], t => Ops.Binary(BinaryOp.TanhGrad, t[0]!, y));
    }

    /// <summary>min(max(x, min), max); the gradient passes where min ≤ x ≤ max, as in PyTorch.</summary>
    public static Tensor Clamp(Tensor x, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        if (min > max) throw new ArgumentException($"Clamp: min {min} exceeds max {max}");
        return Autograd.Record("Clamp", Ops.Scalar(ScalarOp.Clamp, x, min, max), [x], [x], (gy, s, _) =>
            [Ops.Mul(gy, Ops.Scalar(ScalarOp.InRange, s[0]!, min, max))], t => Ops.Mul(t[0]!, Ops.Scalar(ScalarOp.InRange, x, min, max)));
    }
}
