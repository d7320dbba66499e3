namespace NativeMtl.Kernels;

/// <summary>A contiguous tensor seen as [Outer, Size, Inner] around a softmax axis, as every backend lays out its
/// softmax kernels; checks that the tensors of one op agree in shape and are contiguous.</summary>
public readonly record struct SoftmaxLayout(long Outer, int Size, long Inner)
{
    public static SoftmaxLayout Of(string op, int axis, params ReadOnlySpan<TensorRef> tensors)
    {
        var shape = tensors[0].Shape;
        if ((uint)axis >= (uint)shape.Length) throw new ArgumentOutOfRangeException(nameof(axis), $"{op}: axis {axis} of {tensors[0]}");
        foreach (var t in tensors)
        {
            if (!t.Shape.AsSpan().SequenceEqual(shape)) throw new ArgumentException($"{op}: {t} differs in shape from {tensors[0]}");
            if (!t.IsContiguous) throw new ArgumentException($"{op}: {t} must be contiguous");
        }
        long outer = 1, inner = 1;
        for (int a = 0; a < axis; a++) outer *= shape[a];
        for (int a = axis + 1; a < shape.Length; a++) inner *= shape[a];
        return new SoftmaxLayout(shape[axis] == 0 ? 0 : outer, shape[axis], inner);
    }
}
