using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl;

public static partial class F
{
    public static Tensor Exp(Tensor x)
    {
        var y = Ops.Unary(UnaryOp.Exp, x);
        return Autograd.Record("Exp", y, [x], (gy, _) => [Ops.Mul(gy, y)]);
    }

    public static Tensor Log(Tensor x) =>
        Autograd.Record("Log", Ops.Unary(UnaryOp.Log, x), [x], (gy, _) => [Ops.Div(gy, x)]);

    public static Tensor Sqrt(Tensor x)
    {
        var y = Ops.Unary(UnaryOp.Sqrt, x);
        return Autograd.Record("Sqrt", y, [x], (gy, _) => [Ops.Div(Ops.MulAdd(gy, 0.5), y)]);
    }

    /// <summary>x^p for a host exponent p.</summary>
    public static Tensor Pow(Tensor x, double p) =>
        Autograd.Record("Pow", Ops.Scalar(ScalarOp.Pow, x, p), [x], (gy, _) =>
            [Ops.Mul(gy, Ops.MulAdd(Ops.Scalar(ScalarOp.Pow, x, p - 1), p))]);

    /// <summary>|x|, with gradient sign(x) (0 at 0).</summary>
    public static Tensor Abs(Tensor x) =>
        Autograd.Record("Abs", Ops.Unary(UnaryOp.Abs, x), [x], (gy, _) => [Ops.Mul(gy, Ops.Unary(UnaryOp.Sign, x))]);

    public static Tensor Relu(Tensor x) =>
        Autograd.Record("Relu", Ops.Unary(UnaryOp.Relu, x), [x], (gy, _) => [Ops.Binary(BinaryOp.ReluGrad, gy, x)]);

    public static Tensor Sigmoid(Tensor x)
    {
        var y = Ops.Unary(UnaryOp.Sigmoid, x);
        return Autograd.Record("Sigmoid", y, [x], (gy, _) => [Ops.Binary(BinaryOp.SigmoidGrad, gy, y)]);
    }

    public static Tensor Tanh(Tensor x)
    {
        var y = Ops.Unary(UnaryOp.Tanh, x);
        return Autograd.Record("Tanh", y, [x], (gy, _) => [Ops.Binary(BinaryOp.TanhGrad, gy, y)]);
    }

    /// <summary>min(max(x, min), max); the gradient passes where min ≤ x ≤ max, as in PyTorch.</summary>
    public static Tensor Clamp(Tensor x, double min = double.NegativeInfinity, double max = double.PositiveInfinity)
    {
        if (min > max) throw new ArgumentException($"Clamp: min {min} exceeds max {max}");
        return Autograd.Record("Clamp", Ops.Scalar(ScalarOp.Clamp, x, min, max), [x], (gy, _) =>
            [Ops.Mul(gy, Ops.Scalar(ScalarOp.InRange, x, min, max))]);
    }
}
