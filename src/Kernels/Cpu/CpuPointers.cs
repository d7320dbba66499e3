namespace NativeMtl.Kernels.Cpu;

internal static unsafe class CpuPointers
{
    /// <summary>Address of the tensor's first element (its offset applied).</summary>
    public static T* Ptr<T>(this TensorRef t) where T : unmanaged
    {
        if (t.Buffer is not CpuBuffer buffer) throw new ArgumentException($"tensor {t} does not live in host memory");
        return (T*)buffer.Pointer + t.Offset;
    }

    /// <summary>The elements of a contiguous tensor as a span.</summary>
    public static Span<T> Span<T>(this TensorRef t) where T : unmanaged
    {
        if (!t.IsContiguous) throw new ArgumentException($"tensor {t} must be contiguous here");
        return new Span<T>(t.Ptr<T>(), checked((int)t.Count));
    }
}
