using NativeMtl.Kernels;

namespace NativeMtl.Raw;

/// <summary>
/// The raw ops: shape rules, allocation and dispatch to the tensor's backend, with no autograd. Each result
/// is a new tensor registered in the current disposal scope. Views share storage with their source.
/// </summary>
public static partial class Ops
{
    /// <summary>The same elements under a new shape; one size may be −1 (inferred). Copies only when the
    /// source's strides cannot express the new shape.</summary>
    public static Tensor Reshape(Tensor x, params int[] shape)
    {
        var target = new Shape(InferSize("Reshape", x.Shape, shape));
        if (x.IsContiguous) return x.View(target, TensorRef.ContiguousStrides(target.ToArray()), x.Offset);
        using var dense = Contiguous(x).DetachFromScope();
        return dense.View(target, TensorRef.ContiguousStrides(target.ToArray()), dense.Offset);
    }

    private static int[] InferSize(string op, Shape from, int[] shape)
    {
        var dims = (int[])shape.Clone();
        int inferred = Array.IndexOf(dims, -1);
        if (inferred >= 0 && Array.LastIndexOf(dims, -1) != inferred)
            throw new ShapeException(op, $"only one size may be -1 in {new Shape(dims.Select(d => Math.Max(d, 0)).ToArray())}");
        long known = 1;
        for (int i = 0; i < dims.Length; i++)
        {
            if (i == inferred) continue;
            if (dims[i] < 0) throw new ShapeException(op, $"size {dims[i]} is not valid");
            known *= dims[i];
        }
        if (inferred >= 0)
        {
            if (known == 0 || from.Count % known != 0)
                throw new ShapeException(op, $"cannot view {from} as [{string.Join(", ", shape)}]");
            dims[inferred] = (int)(from.Count / known);
        }
        else if (known != from.Count)
            throw new ShapeException(op, $"cannot view {from} ({from.Count} elements) as [{string.Join(", ", shape)}]");
        return dims;
    }

    /// <summary>A new handle on the same elements (same shape, strides and storage).</summary>
    public static Tensor Alias(Tensor x) => x.View(x.Shape, x.Strides.ToArray(), x.Offset);

    /// <summary>The diagonal of a square matrix, as a view.</summary>
    public static Tensor Diagonal(Tensor x)
    {
        if (x.Rank != 2 || x.Shape[0] != x.Shape[1]) throw new ShapeException("Diagonal", $"expects a square matrix, got {x.Shape}");
        return x.View(new Shape(x.Shape[0]), [x.Strides[0] + x.Strides[1]], x.Offset);
    }

    /// <summary>Reorders the axes: result axis i is source axis order[i].</summary>
    public static Tensor Permute(Tensor x, params int[] order)
    {
        if (order.Length != x.Rank || order.Select(x.Shape.NormalizeAxis).Distinct().Count() != x.Rank)
            throw new ShapeException("Permute", $"order [{string.Join(", ", order)}] is not a permutation of the axes of {x.Shape}");
        var axes = order.Select(x.Shape.NormalizeAxis).ToArray();
        var shape = axes.Select(a => x.Shape[a]).ToArray();
        var strides = axes.Select(a => x.Strides[a]).ToArray();
        return x.View(new Shape(shape), strides, x.Offset);
    }

    public static Tensor Transpose(Tensor x, int axis0, int axis1)
    {
        var order = Enumerable.Range(0, x.Rank).ToArray();
        int a = x.Shape.NormalizeAxis(axis0), b = x.Shape.NormalizeAxis(axis1);
        (order[a], order[b]) = (order[b], order[a]);
        return Permute(x, order);
    }

    /// <summary>Elements start, start + step, … below end along one axis (Python's x[start:end:step]).</summary>
    public static Tensor Slice(Tensor x, int axis, int start, int end, int step = 1)
    {
        int a = x.Shape.NormalizeAxis(axis);
        int size = x.Shape[a];
        if (step <= 0) throw new ShapeException("Slice", $"step {step} must be positive");
        if (start < 0) start += size;
        if (end < 0) end += size;
        if (start < 0 || end > size || start > end)
            throw new ShapeException("Slice", $"range [{start}, {end}) is outside axis {a} of {x.Shape}");
        var shape = x.Shape.ToArray();
        shape[a] = (end - start + step - 1) / step;
        var strides = x.Strides.ToArray();
        long offset = x.Offset + start * strides[a];
        strides[a] *= step;
        return x.View(new Shape(shape), strides, offset);
    }

    /// <summary>A view that repeats size-1 axes (and adds leading ones) to reach <paramref name="shape"/>, without copying.</summary>
    public static Tensor BroadcastTo(Tensor x, Shape shape)
    {
        if (Shape.Broadcast("BroadcastTo", x.Shape, shape) != shape)
            throw new ShapeException("BroadcastTo", $"shape {x.Shape} does not broadcast to {shape}");
        return x.View(shape, BroadcastStrides(x, shape), x.Offset);
    }

    /// <summary>Strides that read <paramref name="x"/> as if it had the broadcast <paramref name="shape"/>.</summary>
    internal static long[] BroadcastStrides(Tensor x, Shape shape)
    {
        var strides = new long[shape.Rank];
        int lead = shape.Rank - x.Rank;
        for (int i = lead; i < shape.Rank; i++)
            strides[i] = x.Shape[i - lead] == 1 && shape[i] != 1 ? 0 : x.Strides[i - lead];
        return strides;
    }

    /// <summary>Inserts a size-1 axis at <paramref name="axis"/> (which may equal the rank).</summary>
    public static Tensor Unsqueeze(Tensor x, int axis)
    {
        int a = axis < 0 ? axis + x.Rank + 1 : axis;
        if (a < 0 || a > x.Rank) throw new ShapeException("Unsqueeze", $"axis {axis} is out of range for {x.Shape}");
        var shape = x.Shape.ToArray().ToList();
        var strides = x.Strides.ToArray().ToList();
        shape.Insert(a, 1);
        strides.Insert(a, a < x.Rank ? x.Strides[a] * x.Shape[a] : 1);
        return x.View(new Shape(shape.ToArray()), strides.ToArray(), x.Offset);
    }

    /// <summary>Removes the given size-1 axes.</summary>
    public static Tensor Squeeze(Tensor x, params int[] axes)
    {
        var drop = axes.Select(x.Shape.NormalizeAxis).ToHashSet();
        foreach (var a in drop)
            if (x.Shape[a] != 1) throw new ShapeException("Squeeze", $"axis {a} of {x.Shape} has size {x.Shape[a]}, not 1");
        var keep = Enumerable.Range(0, x.Rank).Where(a => !drop.Contains(a)).ToArray();
        return x.View(new Shape(keep.Select(a => x.Shape[a]).ToArray()), keep.Select(a => x.Strides[a]).ToArray(), x.Offset);
    }

    /// <summary>A new, dense copy of x.</summary>
    public static Tensor Clone(Tensor x) => Cast(x, x.DType);

    /// <summary>x itself as a new handle when already dense, else a dense copy.</summary>
    public static Tensor Contiguous(Tensor x) =>
        x.IsContiguous ? x.View(x.Shape, TensorRef.ContiguousStrides(x.Shape.ToArray()), x.Offset) : Clone(x);

    /// <summary>A dense copy converted to <paramref name="dtype"/>.</summary>
    public static Tensor Cast(Tensor x, DType dtype)
    {
        var y = Tensors.Empty(x.Shape, dtype, x.Device);
        x.Backend.Copy(x.Ref, y.Ref);
        return y;
    }

    /// <summary>A dense copy on another device.</summary>
    public static Tensor To(Tensor x, Device device)
    {
        if (device == x.Device) return Clone(x);
        using var dense = Contiguous(x).DetachFromScope();
        var bytes = new byte[dense.Count * dense.DType.SizeInBytes()];
        if (bytes.Length > 0) dense.Backend.CopyToHost(dense.Ref.Buffer, dense.Offset * dense.DType.SizeInBytes(), bytes);
        var y = Tensors.Empty(x.Shape, x.DType, device);
        if (bytes.Length > 0) y.Backend.CopyFromHost(bytes, y.Ref.Buffer, 0);
        return y;
    }

    /// <summary>Writes x (broadcast to the destination's shape, converted to its dtype) into destination, in place.</summary>
    public static void CopyInto(Tensor x, Tensor destination)
    {
        SameDevice("CopyInto", x, destination);
        destination.Backend.Copy(BroadcastRef("CopyInto", x, destination.Shape), destination.Ref);
    }

    public static void FillInto(Tensor destination, double value) => destination.Backend.Fill(destination.Ref, value);

    /// <summary>Concatenates along an existing axis; all other sizes must agree.</summary>
    public static Tensor Concat(int axis, params Tensor[] xs)
    {
        if (xs.Length == 0) throw new ArgumentException("Concat: needs at least one tensor");
        var first = xs[0];
        int a = first.Shape.NormalizeAxis(axis);
        foreach (var x in xs)
        {
            SameDevice("Concat", first, x);
            SameDType("Concat", first, x);
            bool fits = x.Rank == first.Rank && Enumerable.Range(0, x.Rank).All(i => i == a || x.Shape[i] == first.Shape[i]);
            if (!fits) throw new ShapeException("Concat", $"shapes {first.Shape} and {x.Shape} differ outside axis {a}");
        }
        var shape = first.Shape.ToArray();
        shape[a] = xs.Sum(x => x.Shape[a]);
        var y = Tensors.Empty(new Shape(shape), first.DType, first.Device);
        int start = 0;
        foreach (var x in xs)
        {
            using var part = Slice(y, a, start, start + x.Shape[a]).DetachFromScope();
            y.Backend.Copy(x.Ref, part.Ref);
            start += x.Shape[a];
        }
        return y;
    }
}
