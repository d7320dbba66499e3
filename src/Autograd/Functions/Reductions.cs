using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl;

public static partial class F
{
    /// <summary>Sum over <paramref name="axes"/> (all axes when none are given).</summary>
    public static Tensor Sum(Tensor x, int[]? axes = null, bool keepDims = false) =>
        Reduce(ReduceOp.Sum, x, axes ?? [], keepDims, (gy, _) => Spread(gy, x));

    public static Tensor Mean(Tensor x, int[]? axes = null, bool keepDims = false) =>
        Reduce(ReduceOp.Mean, x, axes ?? [], keepDims, (gy, _) =>
            Spread(Ops.MulAdd(gy, 1.0 / ReducedCount(x, axes ?? [])), x));

    /// <summary>Maximum over axes. Ties share the gradient evenly (PyTorch's amax rule).</summary>
    public static Tensor Max(Tensor x, int[]? axes = null, bool keepDims = false) =>
        Reduce(ReduceOp.Max, x, axes ?? [], keepDims, (gy, y) =>
        {
            var hit = Ops.Binary(BinaryOp.Equal, x, Spread(y, x));
            var ties = Ops.Reduce(ReduceOp.Sum, hit, axes ?? [], keepDims: true);
            return Ops.Mul(hit, Spread(Ops.Div(gy, ties), x));
        });

    /// <summary>Euclidean norm over axes; the gradient at a zero norm is zero.</summary>
    public static Tensor Norm(Tensor x, int[]? axes = null, bool keepDims = false) =>
        Reduce(ReduceOp.L2Norm, x, axes ?? [], keepDims, (gy, y) =>
        {
            using var zero = Tensors.Zeros(Shape.Scalar, y.DType, y.Device).DetachFromScope();
            var scale = Ops.Where(Ops.Binary(BinaryOp.Greater, y, zero), Ops.Div(gy, y), zero);
            return Ops.Mul(x, Spread(scale, x));
        });

    /// <summary>Records a reduction whose rule gets the output gradient and the output, both viewed with the
    /// reduced axes kept as size 1 so they broadcast against x.</summary>
    private static Tensor Reduce(ReduceOp op, Tensor x, int[] axes, bool keepDims, Func<Tensor, Tensor, Tensor> rule)
    {
        var y = Ops.Reduce(op, x, axes, keepDims);
        return Autograd.Record(op.ToString(), y, [x], (gy, _) => [rule(KeepDims(gy, x, axes), KeepDims(y, x, axes))]);
    }

    private static Tensor KeepDims(Tensor reduced, Tensor x, int[] axes)
    {
        var shape = x.Shape.ToArray();
        if (axes.Length == 0) Array.Fill(shape, 1);
        foreach (var a in axes) shape[x.Shape.NormalizeAxis(a)] = 1;
        return Ops.Reshape(reduced, shape);
    }

    /// <summary>A keep-dims tensor broadcast back over x's shape, as a view.</summary>
    private static Tensor Spread(Tensor keepDims, Tensor x) => Ops.BroadcastTo(keepDims, x.Shape);

    /// <summary>How many elements of x each output of the reduction combines.</summary>
    private static long ReducedCount(Tensor x, int[] axes) =>
        axes.Length == 0 ? x.Count : axes.Select(x.Shape.NormalizeAxis).Distinct().Aggregate(1L, (n, a) => n * x.Shape[a]);
}
