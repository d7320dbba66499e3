using NativeMtl.Raw;

namespace NativeMtl;

public static partial class F
{
    /// <summary>Bilinear resize of NCHW x to height × width, PyTorch's align_corners=false. Saves nothing; linear, so
    /// its tangent is the tangent resized.</summary>
    public static Tensor UpsampleBilinear2d(Tensor x, int height, int width)
    {
        var shape = x.Shape;
        return Autograd.Record("UpsampleBilinear2d", Ops.UpsampleBilinear2d(x, height, width), [x], [], (gy, _, _) =>
            [Ops.UpsampleBilinear2dBackward(gy, shape)], t => Ops.UpsampleBilinear2d(t[0]!, height, width));
    }
}
