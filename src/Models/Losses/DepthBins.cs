using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Models;

/// <summary>
/// Quantizes depth into classes, so that depth can serve as the auxiliary task of the class-wise balancer
/// (seed 003 quantizes depth labels when segmentation is the main task).
/// </summary>
public static class DepthBins
{
    /// <summary>The nearest and farthest depths the default bins span (m): indoor scenes, NYUv2's and ours.</summary>
    public const double Near = 0.5, Far = 10;

    /// <summary>
    /// An Int32 class map [N, H, W] from depths [N, 1, H, W] or [N, H, W] with <paramref name="bins"/> bins of equal
    /// width in log depth over [<paramref name="near"/>, <paramref name="far"/>] (equal relative depth error per bin;
    /// depths beyond fall into the end bins): class ⌊bins·ln(d/near)/ln(far/near)⌋. Missing depths (d ≤ 0) get −1.
    /// One pass over the pixels, whatever the number of bins.
    /// </summary>
    public static Tensor ClassifyLog(Tensor depth, int bins, double near = Near, double far = Far)
    {
        const string op = "DepthBins";
        Ops.FloatingPoint(op, depth);
        if (bins < 2) throw new ArgumentException($"{op}: needs at least 2 bins, not {bins}");
        if (!(near > 0 && far > near)) throw new ArgumentException($"{op}: the range [{near}, {far}] m must be positive and increasing");
        var d = Pixels(op, depth);
        double scale = bins / Math.Log(far / near);
        var bin = Ops.Scalar(ScalarOp.Clamp, Ops.MulAdd(Ops.Unary(UnaryOp.Log, d), scale, -scale * Math.Log(near)), 0, bins - 1);
        var present = Ops.Binary(BinaryOp.Greater, d, Tensors.Zeros(Shape.Scalar, depth.DType, depth.Device));
        return Ops.Cast(Ops.Where(present, bin, Tensors.Full(Shape.Scalar, -1, depth.DType, depth.Device)), DType.Int32);
    }

    /// <summary>
    /// An Int32 class map [N, H, W] from depths [N, 1, H, W] or [N, H, W], with edges.Length + 1 classes: class c
    /// holds edges[c − 1] ≤ d &lt; edges[c] (class 0 everything below edges[0], the last class everything from the
    /// last edge up), like torch.bucketize(d, edges, right=True). Missing depths (d ≤ 0) get −1, no class.
    /// </summary>
    public static Tensor Classify(Tensor depth, double[] edges)
    {
        const string op = "DepthBins";
        Ops.FloatingPoint(op, depth);
        if (edges.Length == 0) throw new ArgumentException($"{op}: needs at least one edge");
        for (int i = 0; i < edges.Length; i++)
        {
            if (!double.IsFinite(edges[i])) throw new ArgumentException($"{op}: edge {i} is {edges[i]}, not a finite depth");
            if (i > 0 && edges[i] <= edges[i - 1])
                throw new ArgumentException($"{op}: edges must increase strictly, but edge {i} ({edges[i]}) follows {edges[i - 1]}");
        }
        var d = Pixels(op, depth);

        // Edges [K, 1, 1, 1] against depths [N, H, W]: the class is the number of edges at or below each depth.
        var edgeTensor = Ops.Reshape(Ops.Cast(Tensors.FromArray(edges, edges.Length), depth.DType), [edges.Length, 1, 1, 1]);
        var above = Ops.Sum(Ops.Binary(BinaryOp.Greater, edgeTensor, d), 0);
        var bins = Ops.MulAdd(above, -1, edges.Length);
        var missing = Tensors.Full(Shape.Scalar, -1, depth.DType, depth.Device);
        var present = Ops.Binary(BinaryOp.Greater, d, Tensors.Zeros(Shape.Scalar, depth.DType, depth.Device));
        return Ops.Cast(Ops.Where(present, bins, missing), DType.Int32);
    }

    private static Tensor Pixels(string op, Tensor depth) => depth.Rank switch
    {
        3 => depth,
        4 when depth.Shape[1] == 1 => Ops.Squeeze(depth, 1),
        _ => throw new ShapeException(op, $"expects depths [N, 1, H, W] or [N, H, W], got {depth.Shape}"),
    };
}
