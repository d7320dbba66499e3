using NativeMtl.Kernels;

namespace NativeMtl.Raw;

public static partial class Ops
{
    /// <summary>Reduces over <paramref name="axes"/> (all axes when empty). With keepDims the reduced axes stay as size 1.</summary>
    public static Tensor Reduce(ReduceOp op, Tensor x, int[] axes, bool keepDims = false)
    {
        FloatingPoint(op.ToString(), x);
        var reduced = ReducedShape(x.Shape, axes);
        var y = Tensors.Empty(reduced, x.DType, x.Device);
        x.Backend.Reduce(op, x.Ref, y.Ref);
        return keepDims ? y : DropReducedAxes(y, x.Shape, axes);
    }

    public static Tensor Sum(Tensor x, params int[] axes) => Reduce(ReduceOp.Sum, x, axes);

    public static Tensor Mean(Tensor x, params int[] axes) => Reduce(ReduceOp.Mean, x, axes);

    /// <summary>Sums x down to <paramref name="shape"/>, the inverse of broadcasting (used by backward rules).</summary>
    public static Tensor SumToShape(Tensor x, Shape shape)
    {
        if (x.Shape == shape) return Contiguous(x);
        if (Shape.Broadcast("SumToShape", shape, x.Shape) != x.Shape)
            throw new ShapeException("SumToShape", $"shape {shape} does not broadcast to {x.Shape}");
        int lead = x.Rank - shape.Rank;
        var axes = Enumerable.Range(0, x.Rank).Where(i => i < lead || (shape[i - lead] == 1 && x.Shape[i] != 1)).ToArray();
        var y = Reduce(ReduceOp.Sum, x, axes, keepDims: true);
        if (lead == 0) return y;
        using (y.DetachFromScope()) return Reshape(y, shape.ToArray());
    }

    /// <summary>Index of the first maximum along an axis, as Int32.</summary>
    public static Tensor ArgMax(Tensor x, int axis, bool keepDims = false)
    {
        FloatingPoint("ArgMax", x);
        int a = x.Shape.NormalizeAxis(axis);
        var y = Tensors.Empty(ReducedShape(x.Shape, [a]), DType.Int32, x.Device);
        x.Backend.ArgMax(x.Ref, a, y.Ref);
        return keepDims ? y : DropReducedAxes(y, x.Shape, [a]);
    }

    private static Shape ReducedShape(Shape x, int[] axes)
    {
        var dims = x.ToArray();
        if (axes.Length == 0) Array.Fill(dims, 1);
        foreach (var a in axes) dims[x.NormalizeAxis(a)] = 1;
        return new Shape(dims);
    }

    private static Tensor DropReducedAxes(Tensor y, Shape x, int[] axes)
    {
        var drop = axes.Length == 0 ? Enumerable.Range(0, x.Rank).ToArray() : axes.Select(x.NormalizeAxis).Distinct().ToArray();
        using (y.DetachFromScope()) return Squeeze(y, drop);
    }
}
