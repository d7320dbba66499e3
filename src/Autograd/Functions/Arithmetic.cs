using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl;

/// <summary>
/// Differentiable functions: each computes its forward pass with the raw <see cref="Ops"/> and records its
/// backward rule right beside it, saving only the tensors that rule reads. Binary functions broadcast like
/// NumPy; their gradients are summed back to each input's shape.
/// </summary>
public static partial class F
{
    public static Tensor Add(Tensor a, Tensor b)
    {
        Shape aShape = a.Shape, bShape = b.Shape, shape = Shape.Broadcast("Add", aShape, bShape);
        return Autograd.Record("Add", Ops.Add(a, b), [a, b], [], (gy, _, need) =>
        [
            need[0] ? Ops.SumToShape(gy, aShape) : null,
            need[1] ? Ops.SumToShape(gy, bShape) : null,
        ], t => Tangents.Sum(shape, t[0], t[1]));
    }

    public static Tensor Sub(Tensor a, Tensor b)
    {
        Shape aShape = a.Shape, bShape = b.Shape, shape = Shape.Broadcast("Sub", aShape, bShape);
        return Autograd.Record("Sub", Ops.Sub(a, b), [a, b], [], (gy, _, need) =>
        [
            need[0] ? Ops.SumToShape(gy, aShape) : null,
            need[1] ? Ops.SumToShape(Ops.Unary(UnaryOp.Neg, gy), bShape) : null,
        ], t => Tangents.Sum(shape, t[0], Tangents.Map(t[1], tb => Ops.Unary(UnaryOp.Neg, tb))));
    }

    /// <summary>a·b; saves b only if a needs a gradient, and a only if b does.</summary>
    public static Tensor Mul(Tensor a, Tensor b)
    {
        Shape aShape = a.Shape, bShape = b.Shape, shape = Shape.Broadcast("Mul", aShape, bShape);
        return Autograd.Record("Mul", Ops.Mul(a, b), [a, b], [Autograd.NeedsGradient(b) ? a : null, Autograd.NeedsGradient(a) ? b : null],
            (gy, s, need) =>
            [
                need[0] ? Ops.SumToShape(Ops.Mul(gy, s[1]!), aShape) : null,
                need[1] ? Ops.SumToShape(Ops.Mul(gy, s[0]!), bShape) : null,
            ], t => Tangents.Sum(shape, Tangents.Map(t[0], ta => Ops.Mul(ta, b)), Tangents.Map(t[1], tb => Ops.Mul(a, tb))));
    }

    public static Tensor Div(Tensor a, Tensor b)
    {
        Shape aShape = a.Shape, bShape = b.Shape, shape = Shape.Broadcast("Div", aShape, bShape);
        var y = Ops.Div(a, b);
        return Autograd.Record("Div", y, [a, b], [b, Autograd.NeedsGradient(b) ? y : null], (gy, s, need) =>
        [
            need[0] ? Ops.SumToShape(Ops.Div(gy, s[0]!), aShape) : null,
            // d(a/b)/db = −(a/b)/b
            need[1] ? Ops.SumToShape(Ops.Unary(UnaryOp.Neg, Ops.Div(Ops.Mul(gy, s[1]!), s[0]!)), bShape) : null,
        ], t => Tangents.Sum(shape, Tangents.Map(t[0], ta => Ops.Div(ta, b)), Tangents.Map(t[1], tb => Ops.Unary(UnaryOp.Neg, Ops.Div(Ops.Mul(tb, y), b)))));
    }

    /// <summary>a^b elementwise; the gradient for b needs a &gt; 0.</summary>
    public static Tensor Pow(Tensor a, Tensor b)
    {
        Shape aShape = a.Shape, bShape = b.Shape;
        var y = Ops.Binary(BinaryOp.Pow, a, b);
        return Autograd.Record("Pow", y, [a, b], [a, b, Autograd.NeedsGradient(b) ? y : null], (gy, s, need) =>
        [
            need[0] ? Ops.SumToShape(Ops.Mul(gy, Ops.Mul(s[1]!, Ops.Binary(BinaryOp.Pow, s[0]!, Ops.MulAdd(s[1]!, 1, -1)))), aShape) : null,
            need[1] ? Ops.SumToShape(Ops.Mul(gy, Ops.Mul(s[2]!, Ops.Unary(UnaryOp.Log, s[0]!))), bShape) : null,
        ], t => Tangents.Sum(y.Shape,
            Tangents.Map(t[0], ta => Ops.Mul(ta, Ops.Mul(b, Ops.Binary(BinaryOp.Pow, a, Ops.MulAdd(b, 1, -1))))),
            Tangents.Map(t[1], tb => Ops.Mul(tb, Ops.Mul(y, Ops.Unary(UnaryOp.Log, a))))));
    }

    public static Tensor Neg(Tensor x) =>
        Autograd.Record("Neg", Ops.Unary(UnaryOp.Neg, x), [x], [], (gy, _, _) => [Ops.Unary(UnaryOp.Neg, gy)], t => Ops.Unary(UnaryOp.Neg, t[0]!));

    /// <summary>x·scale + shift with host scalars.</summary>
    public static Tensor MulAdd(Tensor x, double scale, double shift = 0) =>
        Autograd.Record("MulAdd", Ops.MulAdd(x, scale, shift), [x], [], (gy, _, _) => [Ops.MulAdd(gy, scale)], t => Ops.MulAdd(t[0]!, scale));

    public static Tensor Square(Tensor x) =>
        Autograd.Record("Square", Ops.Unary(UnaryOp.Square, x), [x], [x], (gy, s, _) => [Ops.Mul(gy, Ops.MulAdd(s[0]!, 2))],
            t => Ops.Mul(t[0]!, Ops.MulAdd(x, 2)));

    /// <summary>condition ≠ 0 ? a : b; no gradient flows to the condition.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        Shape aShape = a.Shape, bShape = b.Shape;
        return Autograd.Record("Where", Ops.Where(condition, a, b), [a, b], [condition], (gy, s, need) =>
        {
            using var zero = Tensors.Zeros(Shape.Scalar, gy.DType, gy.Device).DetachFromScope();
            return
            [
                need[0] ? Ops.SumToShape(Ops.Where(s[0]!, gy, zero), aShape) : null,
                need[1] ? Ops.SumToShape(Ops.Where(s[0]!, zero, gy), bShape) : null,
            ];
        }, t => Ops.Where(condition, Tangents.OrZeros(t[0], a), Tangents.OrZeros(t[1], b)));
    }
}
