namespace NativeMtl.Kernels;

/// <summary>What a kernel sees of a tensor: a buffer, an element offset into it, a shape and element
/// strides. Strides may be zero (broadcast) or describe a permuted or sliced view.</summary>
public readonly struct TensorRef
{
    public TensorRef(DeviceBuffer buffer, DType dtype, long offset, int[] shape, long[] strides)
    {
        if (shape.Length != strides.Length)
            throw new ArgumentException($"shape rank {shape.Length} and stride rank {strides.Length} differ");
        Buffer = buffer;
        DType = dtype;
        Offset = offset;
        Shape = shape;
        Strides = strides;
    }

    public DeviceBuffer Buffer { get; }

    public DType DType { get; }

    public long Offset { get; }

    public int[] Shape { get; }

    public long[] Strides { get; }

    public int Rank => Shape.Length;

    public long Count
    {
        get
        {
            long n = 1;
            foreach (var d in Shape) n *= d;
            return n;
        }
    }

    /// <summary>True when the elements are laid out densely in row-major order from <see cref="Offset"/>.</summary>
    public bool IsContiguous
    {
        get
        {
            long expected = 1;
            for (int i = Rank - 1; i >= 0; i--)
            {
                if (Shape[i] != 1 && Strides[i] != expected) return false;
                expected *= Shape[i];
            }
            return true;
        }
    }

    public static long[] ContiguousStrides(int[] shape)
    {
        var strides = new long[shape.Length];
        long s = 1;
        for (int i = shape.Length - 1; i >= 0; i--)
        {
            strides[i] = s;
            s *= shape[i];
        }
        return strides;
    }

    public override string ToString() => $"{DType}[{string.Join(",", Shape)}]";
}
