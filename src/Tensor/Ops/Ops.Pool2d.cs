using NativeMtl.Kernels;

namespace NativeMtl.Raw;

public static partial class Ops
{
    public static Tensor MaxPool2d(Tensor x, Pool2dGeometry g)
    {
        var y = PoolOutput("MaxPool2d", x, g);
        using var xd = Dense(x);
        x.Backend.MaxPool2dForward(xd.Ref, y.Ref, g);
        return y;
    }

    public static Tensor MaxPool2dBackward(Tensor x, Tensor y, Tensor gy, Pool2dGeometry g)
    {
        if (gy.Shape != y.Shape || Pool2dOutputShape("MaxPool2dBackward", x.Shape, g) != y.Shape)
            throw new ShapeException("MaxPool2dBackward", $"gradient {gy.Shape} and output {y.Shape} do not match input {x.Shape} with {g}");
        SameDType("MaxPool2dBackward", x, gy);
        SameDType("MaxPool2dBackward", x, y);
        using var xd = Dense(x);
        using var yd = Dense(y);
        using var gyd = Dense(gy);
        var gx = Tensors.Empty(x.Shape, x.DType, x.Device);
        x.Backend.MaxPool2dBackward(xd.Ref, yd.Ref, gyd.Ref, gx.Ref, g);
        return gx;
    }

    /// <summary>Forward mode of max pooling: each window's tangent value at the (first) maximum of x.</summary>
    public static Tensor MaxPool2dJvp(Tensor x, Tensor tx, Pool2dGeometry g)
    {
        if (tx.Shape != x.Shape) throw new ShapeException("MaxPool2dJvp", $"tangent {tx.Shape} differs from input {x.Shape}");
        SameDevice("MaxPool2dJvp", x, tx);
        SameDType("MaxPool2dJvp", x, tx);
        var ty = PoolOutput("MaxPool2dJvp", x, g);
        using var xd = Dense(x);
        using var td = Dense(tx);
        x.Backend.MaxPool2dJvp(xd.Ref, td.Ref, ty.Ref, g);
        return ty;
    }

    public static Tensor AvgPool2d(Tensor x, Pool2dGeometry g)
    {
        var y = PoolOutput("AvgPool2d", x, g);
        using var xd = Dense(x);
        x.Backend.AvgPool2dForward(xd.Ref, y.Ref, g);
        return y;
    }

    public static Tensor AvgPool2dBackward(Tensor gy, Shape xShape, Pool2dGeometry g)
    {
        if (Pool2dOutputShape("AvgPool2dBackward", xShape, g) != gy.Shape)
            throw new ShapeException("AvgPool2dBackward", $"gradient {gy.Shape} does not match input {xShape} with {g}");
        using var gyd = Dense(gy);
        var gx = Tensors.Empty(xShape, gy.DType, gy.Device);
        gy.Backend.AvgPool2dBackward(gyd.Ref, gx.Ref, g);
        return gx;
    }

    private static Tensor PoolOutput(string op, Tensor x, Pool2dGeometry g)
    {
        FloatingPoint(op, x);
        return Tensors.Empty(Pool2dOutputShape(op, x.Shape, g), x.DType, x.Device);
    }

    public static Shape Pool2dOutputShape(string op, Shape x, Pool2dGeometry g)
    {
        if (x.Rank != 4) throw new ShapeException(op, $"input must be NCHW (rank 4), got {x}");
        if (g.KernelH < 1 || g.KernelW < 1 || g.StrideH < 1 || g.StrideW < 1 || g.PadH < 0 || g.PadW < 0
            || 2 * g.PadH > g.KernelH || 2 * g.PadW > g.KernelW)
            throw new ShapeException(op, $"invalid window {g} (padding may be at most half the kernel)");
        int p = Pool2dGeometry.OutputSize(x[2], g.KernelH, g.StrideH, g.PadH);
        int q = Pool2dGeometry.OutputSize(x[3], g.KernelW, g.StrideW, g.PadW);
        if (p <= 0 || q <= 0) throw new ShapeException(op, $"input {x} is smaller than the window {g.KernelH}x{g.KernelW}");
        return new Shape(x[0], x[1], p, q);
    }
}
