using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl;

/// <summary>
/// Differentiable functions: each computes its forward pass with the raw <see cref="Ops"/> and records its
/// backward rule right beside it. Binary functions broadcast like NumPy; their gradients are summed back
/// to each input's shape.
/// </summary>
public static partial class F
{
    public static Tensor Add(Tensor a, Tensor b) =>
        Autograd.Record("Add", Ops.Add(a, b), [a, b], (gy, need) =>
        [
            need[0] ? Ops.SumToShape(gy, a.Shape) : null,
            need[1] ? Ops.SumToShape(gy, b.Shape) : null,
        ]);

    public static Tensor Sub(Tensor a, Tensor b) =>
        Autograd.Record("Sub", Ops.Sub(a, b), [a, b], (gy, need) =>
        [
            need[0] ? Ops.SumToShape(gy, a.Shape) : null,
            need[1] ? Ops.SumToShape(Ops.Unary(UnaryOp.Neg, gy), b.Shape) : null,
        ]);

    public static Tensor Mul(Tensor a, Tensor b) =>
        Autograd.Record("Mul", Ops.Mul(a, b), [a, b], (gy, need) =>
        [
            need[0] ? Ops.SumToShape(Ops.Mul(gy, b), a.Shape) : null,
            need[1] ? Ops.SumToShape(Ops.Mul(gy, a), b.Shape) : null,
        ]);

    public static Tensor Div(Tensor a, Tensor b)
    {
        var y = Ops.Div(a, b);
        return Autograd.Record("Div", y, [a, b], (gy, need) =>
        [
            need[0] ? Ops.SumToShape(Ops.Div(gy, b), a.Shape) : null,
            // d(a/b)/db = −(a/b)/b
            need[1] ? Ops.SumToShape(Ops.Unary(UnaryOp.Neg, Ops.Div(Ops.Mul(gy, y), b)), b.Shape) : null,
        ]);
    }

    /// <summary>a^b elementwise; the gradient for b needs a &gt; 0.</summary>
    public static Tensor Pow(Tensor a, Tensor b)
    {
        var y = Ops.Binary(BinaryOp.Pow, a, b);
        return Autograd.Record("Pow", y, [a, b], (gy, need) =>
        [
            need[0] ? Ops.SumToShape(Ops.Mul(gy, Ops.Mul(b, Ops.Binary(BinaryOp.Pow, a, Ops.MulAdd(b, 1, -1)))), a.Shape) : null,
            need[1] ? Ops.SumToShape(Ops.Mul(gy, Ops.Mul(y, Ops.Unary(UnaryOp.Log, a))), b.Shape) : null,
        ]);
    }

    public static Tensor Neg(Tensor x) =>
        Autograd.Record("Neg", Ops.Unary(UnaryOp.Neg, x), [x], (gy, _) => [Ops.Unary(UnaryOp.Neg, gy)]);

    /// <summary>x·scale + shift with host scalars.</summary>
    public static Tensor MulAdd(Tensor x, double scale, double shift = 0) =>
        Autograd.Record("MulAdd", Ops.MulAdd(x, scale, shift), [x], (gy, _) => [Ops.MulAdd(gy, scale)]);

    public static Tensor Square(Tensor x) =>
        Autograd.Record("Square", Ops.Unary(UnaryOp.Square, x), [x], (gy, _) => [Ops.Mul(gy, Ops.MulAdd(x, 2))]);

    /// <summary>condition ≠ 0 ? a : b; no gradient flows to the condition.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b) =>
        Autograd.Record("Where", Ops.Where(condition, a, b), [a, b], (gy, need) =>
        {
            using var zero = Tensors.Zeros(Shape.Scalar, gy.DType, gy.Device).DetachFromScope();
            return
            [
                need[0] ? Ops.SumToShape(Ops.Where(condition, gy, zero), a.Shape) : null,
                need[1] ? Ops.SumToShape(Ops.Where(condition, zero, gy), b.Shape) : null,
            ];
        });
}
