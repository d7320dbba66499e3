namespace NativeMtl.Raw;

public static partial class Ops
{
    /// <summary>Bilinear resize of NCHW x to height × width with PyTorch's align_corners=false.</summary>
    public static Tensor UpsampleBilinear2d(Tensor x, int height, int width)
    {
        RankIs("UpsampleBilinear2d", x, 4, "NCHW");
        FloatingPoint("UpsampleBilinear2d", x);
        if (height < 1 || width < 1) throw new ShapeException("UpsampleBilinear2d", $"output size {height}x{width} must be positive");
        using var xd = Dense(x);
        var y = Tensors.Empty(new Shape(x.Shape[0], x.Shape[1], height, width), x.DType, x.Device);
        x.Backend.UpsampleBilinear2dForward(xd.Ref, y.Ref);
        return y;
    }

    public static Tensor UpsampleBilinear2dBackward(Tensor gy, Shape xShape)
    {
        if (xShape.Rank != 4 || gy.Rank != 4 || gy.Shape[0] != xShape[0] || gy.Shape[1] != xShape[1])
            throw new ShapeException("UpsampleBilinear2dBackward", $"gradient {gy.Shape} does not match input {xShape}");
        using var gyd = Dense(gy);
        var gx = Tensors.Empty(xShape, gy.DType, gy.Device);
        gy.Backend.UpsampleBilinear2dBackward(gyd.Ref, gx.Ref);
        return gx;
    }
}
