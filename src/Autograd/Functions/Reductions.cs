using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl;

public static partial class F
{
    /// <summary>Sum over <paramref name="axes"/> (all axes when none are given).</summary>
    public static Tensor Sum(Tensor x, int[]? axes = null, bool keepDims = false)
    {
        var reduced = axes ?? [];
        return Reduce(ReduceOp.Sum, x, reduced, keepDims, savesInput: false, (gy, _, _) => gy, t => Ops.Reduce(ReduceOp.Sum, t, reduced, keepDims));
    }

    public static Tensor Mean(Tensor x, int[]? axes = null, bool keepDims = false)
    {
        var reduced = axes ?? [];
        double scale = 1.0 / ReducedCount(x, reduced);
        return Reduce(ReduceOp.Mean, x, reduced, keepDims, savesInput: false, (gy, _, _) => Ops.MulAdd(gy, scale),
            t => Ops.Reduce(ReduceOp.Mean, t, reduced, keepDims));
    }

    /// <summary>Maximum over axes. Ties share the gradient evenly (PyTorch's amax rule), and so the tangent is the mean
    /// of the tied elements' tangents.</summary>
    public static Tensor Max(Tensor x, int[]? axes = null, bool keepDims = false)
    {
        var reduced = axes ?? [];
        Tensor Hits(Tensor input, Tensor keptMax) => Ops.Binary(BinaryOp.Equal, input, Ops.BroadcastTo(keptMax, input.Shape));
        return Reduce(ReduceOp.Max, x, reduced, keepDims, savesInput: true, (gy, y, input) =>
        {
            var hit = Hits(input!, y!);
            return Ops.Mul(hit, Ops.Div(gy, Ops.Reduce(ReduceOp.Sum, hit, reduced, keepDims: true)));
        }, (t, y) =>
        {
            var hit = Hits(x, KeepDims(y, x.Shape, reduced));
            return Ops.Div(Ops.Reduce(ReduceOp.Sum, Ops.Mul(hit, t), reduced, keepDims), Ops.Reduce(ReduceOp.Sum, hit, reduced, keepDims));
        });
    }

    /// <summary>Euclidean norm over axes; the gradient and the tangent at a zero norm are zero.</summary>
    public static Tensor Norm(Tensor x, int[]? axes = null, bool keepDims = false)
    {
        var reduced = axes ?? [];
        // ∂‖x‖/∂x = x/‖x‖, taken as 0 where ‖x‖ = 0.
        static Tensor OverNorm(Tensor a, Tensor norm)
        {
            using var zero = Tensors.Zeros(Shape.Scalar, norm.DType, norm.Device).DetachFromScope();
            return Ops.Where(Ops.Binary(BinaryOp.Greater, norm, zero), Ops.Div(a, norm), zero);
        }
        return Reduce(ReduceOp.L2Norm, x, reduced, keepDims, savesInput: true,
            (gy, y, input) => Ops.Mul(input!, OverNorm(gy, y!)),
            (t, y) => OverNorm(Ops.Reduce(ReduceOp.Sum, Ops.Mul(x, t), reduced, keepDims), y));
    }

    /// <summary>Records a reduction. Its rule gets the output gradient and (when the reduction saves them) the output
    /// and the input, the first two viewed with the reduced axes kept as size 1, and returns a gradient that
    /// broadcasts to the input's shape (a broadcast view is the gradient: a sum's costs no memory). Its forward-mode
    /// rule gets x's tangent and the output.</summary>
    private static Tensor Reduce(ReduceOp op, Tensor x, int[] axes, bool keepDims, bool savesInput,
        Func<Tensor, Tensor?, Tensor?, Tensor> rule, Func<Tensor, Tensor, Tensor> jvp)
    {
        var shape = x.Shape;
        var y = Ops.Reduce(op, x, axes, keepDims);
        return Autograd.Record(op.ToString(), y, [x], savesInput ? [y, x] : [], (gy, s, _) =>
            [Ops.BroadcastTo(rule(KeepDims(gy, shape, axes), savesInput ? KeepDims(s[0]!, shape, axes) : null, savesInput ? s[1] : null), shape)],
            t => jvp(t[0]!, y));
    }

    private static Tensor Reduce(ReduceOp op, Tensor x, int[] axes, bool keepDims, bool savesInput,
        Func<Tensor, Tensor?, Tensor?, Tensor> rule, Func<Tensor, Tensor> jvp) =>
        Reduce(op, x, axes, keepDims, savesInput, rule, (t, _) => jvp(t));

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
