using NativeMtl.Raw;

namespace NativeMtl;

/// <summary>Shape functions. Most return views that share memory with their input; none saves a tensor.</summary>
public static partial class F
{
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        var original = x.Shape.ToArray();
        return Autograd.Record("Reshape", Ops.Reshape(x, shape), [x], [], (gy, _, _) => [Ops.Reshape(gy, original)], t => Ops.Reshape(t[0]!, shape));
    }

    public static Tensor Permute(Tensor x, params int[] order)
    {
        var y = Ops.Permute(x, order);
        var inverse = new int[order.Length];
        for (int i = 0; i < order.Length; i++) inverse[x.Shape.NormalizeAxis(order[i])] = i;
        return Autograd.Record("Permute", y, [x], [], (gy, _, _) => [Ops.Permute(gy, inverse)], t => Ops.Permute(t[0]!, order));
    }

    public static Tensor Transpose(Tensor x, int axis0, int axis1)
    {
        var order = Enumerable.Range(0, x.Rank).ToArray();
        int a = x.Shape.NormalizeAxis(axis0), b = x.Shape.NormalizeAxis(axis1);
        (order[a], order[b]) = (order[b], order[a]);
        return Permute(x, order);
    }

    /// <summary>x[start:end:step] along one axis.</summary>
    public static Tensor Slice(Tensor x, int axis, int start, int end, int step = 1)
    {
        var shape = x.Shape;
        return Autograd.Record("Slice", Ops.Slice(x, axis, start, end, step), [x], [], (gy, _, _) =>
        {
            var gx = Tensors.Zeros(shape, gy.DType, gy.Device);
            Ops.CopyInto(gy, Ops.Slice(gx, axis, start, end, step));
            return [gx];
        }, t => Ops.Slice(t[0]!, axis, start, end, step));
    }

    public static Tensor BroadcastTo(Tensor x, Shape shape)
    {
        var original = x.Shape;
        return Autograd.Record("BroadcastTo", Ops.BroadcastTo(x, shape), [x], [], (gy, _, _) => [Ops.SumToShape(gy, original)], t => Ops.BroadcastTo(t[0]!, shape));
    }

    public static Tensor Unsqueeze(Tensor x, int axis)
    {
        var original = x.Shape.ToArray();
        return Autograd.Record("Unsqueeze", Ops.Unsqueeze(x, axis), [x], [], (gy, _, _) => [Ops.Reshape(gy, original)], t => Ops.Unsqueeze(t[0]!, axis));
    }

    public static Tensor Squeeze(Tensor x, params int[] axes)
    {
        var original = x.Shape.ToArray();
        return Autograd.Record("Squeeze", Ops.Squeeze(x, axes), [x], [], (gy, _, _) => [Ops.Reshape(gy, original)], t => Ops.Squeeze(t[0]!, axes));
    }

    public static Tensor Concat(int axis, params Tensor[] xs)
    {
        var y = Ops.Concat(axis, xs);
        int a = y.Shape.NormalizeAxis(axis);
        var sizes = xs.Select(x => x.Shape[a]).ToArray();
        return Autograd.Record("Concat", y, xs, [], (gy, _, need) =>
        {
            var grads = new Tensor?[sizes.Length];
            int start = 0;
            for (int i = 0; i < sizes.Length; i++)
            {
                int end = start + sizes[i];
                if (need[i]) grads[i] = Ops.Slice(gy, a, start, end);
                start = end;
            }
            return grads;
        }, t => Ops.Concat(a, xs.Select((x, i) => Tangents.OrZeros(t[i], x)).ToArray()));
    }

    /// <summary>The same values with no history: gradients stop here.</summary>
    public static Tensor Detach(Tensor x) => Ops.Alias(x);
}
