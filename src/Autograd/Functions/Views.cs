using NativeMtl.Raw;

namespace NativeMtl;

/// <summary>Shape functions. Most return views that share memory with their input.</summary>
public static partial class F
{
    public static Tensor Reshape(Tensor x, params int[] shape) =>
        Autograd.Record("Reshape", Ops.Reshape(x, shape), [x], (gy, _) => [Ops.Reshape(gy, x.Shape.ToArray())]);

    public static Tensor Permute(Tensor x, params int[] order)
    {
        var y = Ops.Permute(x, order);
        var inverse = new int[order.Length];
        for (int i = 0; i < order.Length; i++) inverse[x.Shape.NormalizeAxis(order[i])] = i;
        return Autograd.Record("Permute", y, [x], (gy, _) => [Ops.Permute(gy, inverse)]);
    }

    public static Tensor Transpose(Tensor x, int axis0, int axis1)
    {
        var order = Enumerable.Range(0, x.Rank).ToArray();
        int a = x.Shape.NormalizeAxis(axis0), b = x.Shape.NormalizeAxis(axis1);
        (order[a], order[b]) = (order[b], order[a]);
        return Permute(x, order);
    }

    /// <summary>x[start:end:step] along one axis.</summary>
    public static Tensor Slice(Tensor x, int axis, int start, int end, int step = 1) =>
        Autograd.Record("Slice", Ops.Slice(x, axis, start, end, step), [x], (gy, _) =>
        {
            var gx = Tensors.Zeros(x.Shape, gy.DType, gy.Device);
            Ops.CopyInto(gy, Ops.Slice(gx, axis, start, end, step));
            return [gx];
        });

    public static Tensor BroadcastTo(Tensor x, Shape shape) =>
        Autograd.Record("BroadcastTo", Ops.BroadcastTo(x, shape), [x], (gy, _) => [Ops.SumToShape(gy, x.Shape)]);

    public static Tensor Unsqueeze(Tensor x, int axis) =>
        Autograd.Record("Unsqueeze", Ops.Unsqueeze(x, axis), [x], (gy, _) => [Ops.Reshape(gy, x.Shape.ToArray())]);

    public static Tensor Squeeze(Tensor x, params int[] axes) =>
        Autograd.Record("Squeeze", Ops.Squeeze(x, axes), [x], (gy, _) => [Ops.Reshape(gy, x.Shape.ToArray())]);

    public static Tensor Concat(int axis, params Tensor[] xs)
    {
        var y = Ops.Concat(axis, xs);
        int a = y.Shape.NormalizeAxis(axis);
        return Autograd.Record("Concat", y, xs, (gy, need) =>
        {
            var grads = new Tensor?[xs.Length];
            int start = 0;
            for (int i = 0; i < xs.Length; i++)
            {
                int end = start + xs[i].Shape[a];
                if (need[i]) grads[i] = Ops.Slice(gy, a, start, end);
                start = end;
            }
            return grads;
        });
    }

    /// <summary>The same values with no history: gradients stop here.</summary>
    public static Tensor Detach(Tensor x) => Ops.Alias(x);
}
