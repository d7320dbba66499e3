using NativeMtl.Kernels;

namespace NativeMtl.Raw;

public static partial class Ops
{
    /// <summary>Deformable convolution v1 (torchvision.ops.deform_conv2d with one offset group, no mask) of NCHW x with
    /// offsets [N, 2·R·S, P, Q] and weights [K, C, R, S]: tap k = r·S + s of output position (p, q) reads x bilinearly
    /// at (p·strideH − padH + r·dilationH + offset[n, 2k, p, q], q·strideW − padW + s·dilationW + offset[n, 2k + 1, p, q]),
    /// a corner outside the image counting as 0. The columns (<see cref="DeformIm2Col"/>) times the weights, per sample.</summary>
    public static Tensor DeformConv2d(Tensor x, Tensor offset, Tensor w, Tensor? bias, Conv2dGeometry g)
    {
        DeformConv2dOutputShape(x.Shape, offset.Shape, w.Shape, bias?.Shape, g);
        DeformOperands("DeformConv2d", x, bias is null ? [offset, w] : [offset, w, bias]);
        using var columns = DeformIm2Col(x, offset, DeformWindow.Of(w.Shape[2], w.Shape[3], g));
        return DeformConv2dFromColumns(columns, w, bias, offset.Shape[2], offset.Shape[3]);
    }

    /// <summary>y [N, K, P, Q] = w [K, C·R·S] · columns[n] for each sample of columns [N, C·R·S, P·Q], plus the bias per
    /// channel: the GEMM half of <see cref="DeformConv2d"/>, which its forward-mode rule applies to tangents too.</summary>
    public static Tensor DeformConv2dFromColumns(Tensor columns, Tensor w, Tensor? bias, int outH, int outW)
    {
        using var weights = Reshape(w, w.Shape[0], -1);
        using var product = Matmul(weights, columns);
        var y = Reshape(product, columns.Shape[0], w.Shape[0], outH, outW);
        if (bias is null) return y;
        using var perChannel = Reshape(bias, 1, -1, 1, 1);
        using (y) return Add(y, perChannel);
    }

    /// <summary>Deformable convolution's columns [N, C·R·S, P·Q] (see <see cref="IBackend.DeformIm2Col"/>).</summary>
    public static Tensor DeformIm2Col(Tensor x, Tensor offset, DeformWindow window)
    {
        var columns = DeformColumnsShape("DeformIm2Col", x.Shape, offset.Shape, window);
        DeformOperands("DeformIm2Col", x, offset);
        using var xd = Dense(x);
        using var od = Dense(offset);
        var y = Tensors.Empty(columns, x.DType, x.Device);
        x.Backend.DeformIm2Col(xd.Ref, od.Ref, y.Ref, window);
        return y;
    }

    /// <summary>The gradient with respect to x [N, C, H, W] of Σ gColumns·DeformIm2Col(x, offset).</summary>
    public static Tensor DeformIm2ColBackwardData(Tensor gColumns, Tensor offset, Shape xShape, DeformWindow window)
    {
        ColumnsMatch("DeformIm2ColBackwardData", gColumns, DeformColumnsShape("DeformIm2ColBackwardData", xShape, offset.Shape, window));
        DeformOperands("DeformIm2ColBackwardData", gColumns, offset);
        using var gd = Dense(gColumns);
        using var od = Dense(offset);
        var gx = Tensors.Empty(xShape, gColumns.DType, gColumns.Device);
        gColumns.Backend.DeformIm2ColBackwardData(gd.Ref, od.Ref, gx.Ref, window);
        return gx;
    }

    /// <summary>The gradient with respect to the offsets of Σ gColumns·DeformIm2Col(x, offset).</summary>
    public static Tensor DeformIm2ColBackwardOffset(Tensor gColumns, Tensor x, Tensor offset, DeformWindow window)
    {
        ColumnsMatch("DeformIm2ColBackwardOffset", gColumns, DeformColumnsShape("DeformIm2ColBackwardOffset", x.Shape, offset.Shape, window));
        DeformOperands("DeformIm2ColBackwardOffset", gColumns, x, offset);
        using var gd = Dense(gColumns);
        using var xd = Dense(x);
        using var od = Dense(offset);
        var gOffset = Tensors.Empty(offset.Shape, gColumns.DType, gColumns.Device);
        gColumns.Backend.DeformIm2ColBackwardOffset(gd.Ref, xd.Ref, od.Ref, gOffset.Ref, window);
        return gOffset;
    }

    /// <summary>Forward mode: the tangent of DeformIm2Col(x, offset) along the offsets' tangent, x held fixed.</summary>
    public static Tensor DeformIm2ColJvpOffset(Tensor x, Tensor offset, Tensor tOffset, DeformWindow window)
    {
        var columns = DeformColumnsShape("DeformIm2ColJvpOffset", x.Shape, offset.Shape, window);
        if (tOffset.Shape != offset.Shape)
            throw new ShapeException("DeformIm2ColJvpOffset", $"offset tangent {tOffset.Shape} does not match offsets {offset.Shape}");
        DeformOperands("DeformIm2ColJvpOffset", x, offset, tOffset);
        using var xd = Dense(x);
        using var od = Dense(offset);
        using var td = Dense(tOffset);
        var tColumns = Tensors.Empty(columns, x.DType, x.Device);
        x.Backend.DeformIm2ColJvpOffset(xd.Ref, od.Ref, td.Ref, tColumns.Ref, window);
        return tColumns;
    }

    /// <summary>The output shape [N, K, P, Q] of <see cref="DeformConv2d"/>, after checking every shape against the others.</summary>
    public static Shape DeformConv2dOutputShape(Shape x, Shape offset, Shape w, Shape? bias, Conv2dGeometry g)
    {
        const string op = "DeformConv2d";
        if (w.Rank != 4) throw new ShapeException(op, $"weights must be [K, C, R, S], got {w}");
        if (g.Groups != 1) throw new ShapeException(op, $"takes one group, got {g.Groups}");
        if (x.Rank != 4 || w[1] != x[1]) throw new ShapeException(op, $"input {x} must be NCHW with the weights' {w[1]} channels (weights {w})");
        if (bias is not null && (bias.Rank != 1 || bias[0] != w[0]))
            throw new ShapeException(op, $"bias {bias} does not match weights {w}");
        DeformColumnsShape(op, x, offset, DeformWindow.Of(w[2], w[3], g));
        return new Shape(x[0], w[0], offset[2], offset[3]);
    }

    /// <summary>The columns' shape [N, C·R·S, P·Q], after checking that x is NCHW, the window valid and the offsets
    /// [N, 2·R·S, P, Q] for the window's output size.</summary>
    private static Shape DeformColumnsShape(string op, Shape x, Shape offset, DeformWindow window)
    {
        if (x.Rank != 4) throw new ShapeException(op, $"input must be NCHW (rank 4), got {x}");
        if (window.KernelH < 1 || window.KernelW < 1 || window.StrideH < 1 || window.StrideW < 1 || window.DilationH < 1
            || window.DilationW < 1 || window.PadH < 0 || window.PadW < 0)
            throw new ShapeException(op, $"invalid window {window}");
        int p = window.OutputHeight(x[2]), q = window.OutputWidth(x[3]);
        if (p <= 0 || q <= 0) throw new ShapeException(op, $"input {x} is smaller than the dilated {window.KernelH}x{window.KernelW} kernel with {window}");
        var expected = new Shape(x[0], 2 * window.Taps, p, q);
        if (offset != expected)
            throw new ShapeException(op, $"offsets {offset} must be [N, 2·{window.KernelH}·{window.KernelW}, P, Q] = {expected} for input {x}");
        return new Shape(x[0], x[1] * window.Taps, p * q);
    }

    /// <summary>Floating-point operands of one dtype on one device.</summary>
    private static void DeformOperands(string op, Tensor first, params Tensor[] others)
    {
        FloatingPoint(op, first);
        foreach (var other in others)
        {
            SameDevice(op, first, other);
            SameDType(op, first, other);
        }
    }

    private static void ColumnsMatch(string op, Tensor columns, Shape expected)
    {
        if (columns.Shape != expected) throw new ShapeException(op, $"column gradient {columns.Shape} must be {expected}");
    }
}
