using NativeMtl.Kernels;

namespace NativeMtl.Raw;

public static partial class Ops
{
    /// <summary>2-d convolution (cross-correlation, as PyTorch) of NCHW x with weights [K, C/groups, R, S].</summary>
    public static Tensor Conv2d(Tensor x, Tensor w, Tensor? bias, Conv2dGeometry g)
    {
        var yShape = Conv2dOutputShape(x.Shape, w.Shape, bias?.Shape, g);
        SameDevice("Conv2d", x, w);
        SameDType("Conv2d", x, w);
        FloatingPoint("Conv2d", x);
        using var xd = Dense(x);
        using var wd = Dense(w);
        using var bd = bias is null ? null : Dense(bias);
        var y = Tensors.Empty(yShape, x.DType, x.Device);
        x.Backend.Conv2dForward(xd.Ref, wd.Ref, bd?.Ref, y.Ref, g);
        return y;
    }

    public static Tensor Conv2dBackwardData(Tensor gy, Tensor w, Shape xShape, Conv2dGeometry g)
    {
        if (Conv2dOutputShape(xShape, w.Shape, null, g) != gy.Shape)
            throw new ShapeException("Conv2dBackwardData", $"gradient {gy.Shape} does not match input {xShape} and weights {w.Shape}");
        using var gyd = Dense(gy);
        using var wd = Dense(w);
        var gx = Tensors.Empty(xShape, gy.DType, gy.Device);
        gy.Backend.Conv2dBackwardData(gyd.Ref, wd.Ref, gx.Ref, g);
        return gx;
    }

    public static Tensor Conv2dBackwardFilter(Tensor x, Tensor gy, Shape wShape, Conv2dGeometry g)
    {
        if (Conv2dOutputShape(x.Shape, wShape, null, g) != gy.Shape)
            throw new ShapeException("Conv2dBackwardFilter", $"gradient {gy.Shape} does not match input {x.Shape} and weights {wShape}");
        using var xd = Dense(x);
        using var gyd = Dense(gy);
        var gw = Tensors.Empty(wShape, gy.DType, gy.Device);
        gy.Backend.Conv2dBackwardFilter(xd.Ref, gyd.Ref, gw.Ref, g);
        return gw;
    }

    public static Shape Conv2dOutputShape(Shape x, Shape w, Shape? bias, Conv2dGeometry g)
    {
        const string op = "Conv2d";
        if (x.Rank != 4) throw new ShapeException(op, $"input must be NCHW (rank 4), got {x}");
        if (w.Rank != 4) throw new ShapeException(op, $"weights must be [K, C/groups, R, S], got {w}");
        if (g.Groups < 1 || g.StrideH < 1 || g.StrideW < 1 || g.DilationH < 1 || g.DilationW < 1 || g.PadH < 0 || g.PadW < 0)
            throw new ShapeException(op, $"invalid geometry {g}");
        if (x[1] % g.Groups != 0 || w[0] % g.Groups != 0 || w[1] * g.Groups != x[1])
            throw new ShapeException(op, $"input {x} and weights {w} do not fit {g.Groups} group(s)");
        if (bias is not null && (bias.Rank != 1 || bias[0] != w[0]))
            throw new ShapeException(op, $"bias {bias} does not match weights {w}");
        int p = Conv2dGeometry.OutputSize(x[2], w[2], g.StrideH, g.PadH, g.DilationH);
        int q = Conv2dGeometry.OutputSize(x[3], w[3], g.StrideW, g.PadW, g.DilationW);
        if (p <= 0 || q <= 0) throw new ShapeException(op, $"input {x} is smaller than the dilated kernel {w} with {g}");
        return new Shape(x[0], w[0], p, q);
    }
}
