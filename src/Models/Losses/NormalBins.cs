using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Models;

/// <summary>
/// Quantizes surface normals into classes by the angle they make with the camera's up direction (−y in the camera
/// frame, whose y points down): floors near 0°, walls near 90°, ceilings near 180°. So normals can serve as the
/// auxiliary task of the class-wise balancer, the way depth does through <see cref="DepthBins"/>.
/// </summary>
public static class NormalBins
{
    /// <summary>
    /// An Int32 class map [N, H, W] from normals [N, 3, H, W]: class c holds the angles in [c·180°/bins,
    /// (c + 1)·180°/bins), the last class up to 180° included. Missing normals (all zero) get −1, no class.
    /// </summary>
    public static Tensor Classify(Tensor normals, int bins)
    {
        const string op = "NormalBins";
        Ops.FloatingPoint(op, normals);
        if (bins < 2) throw new ArgumentException($"{op}: needs at least 2 bins, not {bins}");
        if (normals.Rank != 4 || normals.Shape[1] != 3) throw new ShapeException(op, $"expects normals [N, 3, H, W], got {normals.Shape}");

        // The angle θ with up has cos θ = −n_y / |n|; θ ≥ k·180°/bins exactly when cos θ ≤ cos(k·180°/bins), so the
        // class counts the edges cos(k·180°/bins), k = 1 … bins − 1, that are at least cos θ.
        var length = Ops.Reduce(ReduceOp.L2Norm, normals, [1]);
        var present = Ops.Binary(BinaryOp.Greater, length, Tensors.Zeros(Shape.Scalar, normals.DType, normals.Device));
        var safe = Ops.Where(present, length, Tensors.Ones(Shape.Scalar, normals.DType, normals.Device));
        var cosine = Ops.Div(Ops.Unary(UnaryOp.Neg, Ops.Squeeze(Ops.Slice(normals, 1, 1, 2), 1)), safe);
        var edges = Enumerable.Range(1, bins - 1).Select(k => Math.Cos(Math.PI * k / bins)).ToArray();
        var edgeTensor = Ops.Reshape(Ops.Cast(Tensors.FromArray(edges, edges.Length), normals.DType), [edges.Length, 1, 1, 1]);
        var below = Ops.Sum(Ops.Binary(BinaryOp.Greater, cosine, edgeTensor), 0);
        var bin = Ops.MulAdd(below, -1, edges.Length);
        var missing = Tensors.Full(Shape.Scalar, -1, normals.DType, normals.Device);
        return Ops.Cast(Ops.Where(present, bin, missing), DType.Int32);
    }
}
