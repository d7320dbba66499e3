using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Models;

/// <summary>
/// Quantizes surface normals into classes by the angle θ they make with the camera's up direction (−y in the camera
/// frame, whose y points down): floors near 0°, walls near 90°, ceilings near 180°. The bins are equally wide in
/// cos θ, so each covers the same solid angle of directions (Archimedes' hat-box rule), and a class is one pass over
/// the pixels whatever the number of bins. So normals can serve as the auxiliary task of the class-wise balancer, the
/// way depth does through <see cref="DepthBins"/>.
/// </summary>
public static class NormalBins
{
    /// <summary>
    /// An Int32 class map [N, H, W] from normals [N, 3, H, W]: class ⌊bins·(1 − cos θ)/2⌋ (the last class includes
    /// θ = 180°), with cos θ = −n_y/|n|. Missing normals (all zero) get −1, no class.
    /// </summary>
    public static Tensor Classify(Tensor normals, int bins)
    {
        const string op = "NormalBins";
        Ops.FloatingPoint(op, normals);
        if (bins < 2) throw new ArgumentException($"{op}: needs at least 2 bins, not {bins}");
        if (normals.Rank != 4 || normals.Shape[1] != 3) throw new ShapeException(op, $"expects normals [N, 3, H, W], got {normals.Shape}");

        var length = Ops.Reduce(ReduceOp.L2Norm, normals, [1]);
        var present = Ops.Binary(BinaryOp.Greater, length, Tensors.Zeros(Shape.Scalar, normals.DType, normals.Device));
        var safe = Ops.Where(present, length, Tensors.Ones(Shape.Scalar, normals.DType, normals.Device));
        var cosine = Ops.Div(Ops.Unary(UnaryOp.Neg, Ops.Squeeze(Ops.Slice(normals, 1, 1, 2), 1)), safe);
        var bin = Ops.Scalar(ScalarOp.Clamp, Ops.MulAdd(cosine, -0.5 * bins, 0.5 * bins), 0, bins - 1);
        return Ops.Cast(Ops.Where(present, bin, Tensors.Full(Shape.Scalar, -1, normals.DType, normals.Device)), DType.Int32);
    }
}
