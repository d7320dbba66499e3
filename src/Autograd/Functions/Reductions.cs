using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl;

public static partial class F
{
    /// <summary>Sum over <paramref name="axes"/> (all axes when none are given).</summary>
    public static Tensor Sum(Tensor x, int[]? axes = null, bool keepDims = false) =>
        Reduce(ReduceOp.Sum, x, axes ?? [], keepDims, savesInput: false, (gy, _, _) => gy);

    public static Tensor Mean(Tensor x, int[]? axes = null, bool keepDims = false)
    {
        double scale = 1.0 / ReducedCount(x, axes ?? []);
        return Reduce(ReduceOp.Mean, x, axes ?? [], keepDims, savesInput: false, (gy, _, _) => Ops.MulAdd(gy, scale));
    }

    /// <summary>Maximum over axes. Ties share the gradient evenly (PyTorch's amax rule).</summary>
    public static Tensor Max(Tensor x, int[]? axes = null, bool keepDims = false)
    {
        var reduced = axes ?? [];
        return Reduce(ReduceOp.Max, x, reduced, keepDims, savesInput: true, (gy, y, input) =>
        {
            var hit = Ops.Binary(BinaryOp.Equal, input!, Ops.BroadcastTo(y!, input!.Shape));
            var ties = Ops.Reduce(ReduceOp.Sum, hit, reduced, keepDims: true);
            return Ops.Mul(hit, Ops.Div(gy, ties));
        });
    }

    /// <summary>Euclidean norm over axes; the gradient at a zero norm is zero.</summary>
    public static Tensor Norm(Tensor x, int[]? axes = null, bool keepDims = false) =>
        Reduce(ReduceOp.L2Norm, x, axes ?? [], keepDims, savesInput: true, (gy, y, input) =>
        {
            using var zero = Tensors.Zeros(Shape.Scalar, y!.DType, y.Device).DetachFromScope();
            return Ops.Mul(input!, Ops.Where(Ops.Binary(BinaryOp.Greater, y, zero), Ops.Div(gy, y), zero));
        });

    /// <summary>Records a reduction. Its rule gets the output gradient and (when the reduction saves them) the output
    /// and the input, the first two viewed with the reduced axes kept as size 1, and returns a gradient that
    /// broadcasts to the input's shape (a broadcast view is the gradient: a sum's costs no memory).</summary>
    private static Tensor Reduce(ReduceOp op, Tensor x, int[] axes, bool keepDims, bool savesInput,
        Func<Tensor, Tensor?, Tensor?, Tensor> rule)
    {
        var shape = x.Shape;
        var y = Ops.Reduce(op, x, axes, keepDims);
        return Autograd.Record(op.ToString(), y, [x], savesInput ? [y, x] : [], (gy, s, _) =>
            [Ops.BroadcastTo(rule(KeepDims(gy, shape, axes), savesInput ? KeepDims(s[0]!, shape, axes) : null, savesInput ? s[1] : null), shape)]);
    }

    private static Tensor KeepDims(Tensor reduced, Shape xShape, int[] axes)
    {
        var shape = xShape.ToArray();
        if (axes.Length == 0) Array.Fill(shape, 1);
        foreach (var a in axes) shape[xShape.NormalizeAxis(a)] = 1;
        return Ops.Reshape(reduced, shape);
    }

    /// <summary>How many elements of x each output of the reduction combines.</summary>
    private static long ReducedCount(Tensor x, int[] axes) =>
        axes.Length == 0 ? x.Count : axes.Select(x.Shape.NormalizeAxis).Distinct().Aggregate(1L, (n, a) => n * x.Shape[a]);
}
