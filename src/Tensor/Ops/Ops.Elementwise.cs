using NativeMtl.Kernels;

namespace NativeMtl.Raw;

public static partial class Ops
{
    public static Tensor Unary(UnaryOp op, Tensor x)
    {
        FloatingPoint(op.ToString(), x);
        var y = Tensors.Empty(x.Shape, x.DType, x.Device);
        x.Backend.Unary(op, x.Ref, y.Ref);
        return y;
    }

    public static Tensor Scalar(ScalarOp op, Tensor x, double a, double b = 0)
    {
        FloatingPoint(op.ToString(), x);
        var y = Tensors.Empty(x.Shape, x.DType, x.Device);
        x.Backend.Scalar(op, x.Ref, a, b, y.Ref);
        return y;
    }

    /// <summary>An elementwise binary op with NumPy broadcasting; both operands must share dtype and device.</summary>
    public static Tensor Binary(BinaryOp op, Tensor a, Tensor b)
    {
        string name = op.ToString();
        SameDevice(name, a, b);
        SameDType(name, a, b);
        FloatingPoint(name, a);
        var shape = Shape.Broadcast(name, a.Shape, b.Shape);
        var y = Tensors.Empty(shape, a.DType, a.Device);
        a.Backend.Binary(op, BroadcastRef(name, a, shape), BroadcastRef(name, b, shape), y.Ref);
        return y;
    }

    /// <summary>condition ≠ 0 ? a : b, all three broadcast together; condition may have any dtype.</summary>
    public static Tensor Where(Tensor condition, Tensor a, Tensor b)
    {
        SameDevice("Where", condition, a);
        SameDevice("Where", a, b);
        SameDType("Where", a, b);
        var shape = Shape.Broadcast("Where", Shape.Broadcast("Where", condition.Shape, a.Shape), b.Shape);
        var y = Tensors.Empty(shape, a.DType, a.Device);
        a.Backend.Where(BroadcastRef("Where", condition, shape), BroadcastRef("Where", a, shape), BroadcastRef("Where", b, shape), y.Ref);
        return y;
    }

    public static Tensor Add(Tensor a, Tensor b) => Binary(BinaryOp.Add, a, b);

    public static Tensor Sub(Tensor a, Tensor b) => Binary(BinaryOp.Sub, a, b);

    public static Tensor Mul(Tensor a, Tensor b) => Binary(BinaryOp.Mul, a, b);

    public static Tensor Div(Tensor a, Tensor b) => Binary(BinaryOp.Div, a, b);

    /// <summary>y = x·scale + shift.</summary>
    public static Tensor MulAdd(Tensor x, double scale, double shift = 0) => Scalar(ScalarOp.MulAdd, x, scale, shift);

    /// <summary>destination += x (x broadcast to destination's shape), in place.</summary>
    public static void AddInto(Tensor destination, Tensor x) => BinaryInto(BinaryOp.Add, destination, x);

    /// <summary>destination −= x (x broadcast to destination's shape), in place.</summary>
    public static void SubInto(Tensor destination, Tensor x) => BinaryInto(BinaryOp.Sub, destination, x);

    /// <summary>destination *= x (x broadcast to destination's shape), in place.</summary>
    public static void MulInto(Tensor destination, Tensor x) => BinaryInto(BinaryOp.Mul, destination, x);

    private static void BinaryInto(BinaryOp op, Tensor destination, Tensor x)
    {
        string name = $"{op}Into";
        SameDevice(name, destination, x);
        SameDType(name, destination, x);
        var d = destination.Ref;
        destination.Backend.Binary(op, d, BroadcastRef(name, x, destination.Shape), d);
    }
}
