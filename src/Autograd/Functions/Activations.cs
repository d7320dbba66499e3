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
    public static Tensor Relu(Tensor x) => Activation("Relu", x, UnaryOp.Relu, BinaryOp.ReluGrad);

    public static Tensor Sigmoid(Tensor x) => Activation("Sigmoid", x, UnaryOp.Sigmoid, BinaryOp.SigmoidGrad);

    public static Tensor Tanh(Tensor x) => Activation("Tanh", x, UnaryOp.Tanh, BinaryOp.TanhGrad);

    /// <summary>y = f(x) for an activation whose slope is read from y: its gradient, its tangent and its stacked
    /// gradients are each one binary op with y (broadcast over the stacking axis for the last).</summary>
    private static Tensor Activation(string name, Tensor x, UnaryOp f, BinaryOp timesSlope)
    {
        var y = Ops.Unary(f, x);
        return Autograd.Record(name, y, [x], [y], (gy, s, _) => [Ops.Binary(timesSlope, gy, s[0]!)], t => Ops.Binary(timesSlope, t[0]!, y),
            stacked: (gys, s, _) => [Ops.Binary(timesSlope, gys, s[0]!)]);
    }

    /// <summary>min(max(x, min), max); the gradient passes where min ≤ x ≤ max, as in PyTorch.</summary>
    public static Tensor Clamp(Tensor x, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        if (min > max) throw new ArgumentException($"Clamp: min {min} exceeds max {max}");
        return Autograd.Record("Clamp", Ops.Scalar(ScalarOp.Clamp, x, min, max), [x], [x], (gy, s, _) =>
            [Ops.Mul(gy, Ops.Scalar(ScalarOp.InRange, s[0]!, min, max))], t => Ops.Mul(t[0]!, Ops.Scalar(ScalarOp.InRange, x, min, max)));
    }
}
