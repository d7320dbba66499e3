namespace NativeMtl.Kernels.Cpu;

/// <summary>
/// The reference backend: managed code, SIMD through System.Numerics.Tensors and Vector512/Vector256,
/// multithreaded with Parallel.For. It runs Float32 and Float64 alike (Float64 makes gradient checks tight).
/// Work runs synchronously, which the asynchronous contract allows. One file per op family, named after it.
/// </summary>
public sealed partial class CpuBackend : IBackend
{
    public static CpuBackend Instance { get; } = new();

    private CpuBackend()
    {
    }

    public Device Device => Device.Cpu;

    public DeviceBuffer Allocate(long byteLength) => new CpuBuffer(byteLength);

    public unsafe void CopyFromHost(ReadOnlySpan<byte> source, DeviceBuffer destination, long destinationByteOffset)
    {
        var target = (CpuBuffer)destination;
        CheckRange(target, destinationByteOffset, source.Length);
        source.CopyTo(new Span<byte>((byte*)target.Pointer + destinationByteOffset, source.Length));
    }

    public unsafe void CopyToHost(DeviceBuffer source, long sourceByteOffset, Span<byte> destination)
    {
        var origin = (CpuBuffer)source;
        CheckRange(origin, sourceByteOffset, destination.Length);
        new ReadOnlySpan<byte>((byte*)origin.Pointer + sourceByteOffset, destination.Length).CopyTo(destination);
    }

    public void Synchronize()
    {
    }

    private static void CheckRange(CpuBuffer buffer, long offset, long length)
    {
        if (buffer.IsDisposed) throw new ObjectDisposedException(nameof(CpuBuffer));
        if (offset < 0 || offset + length > buffer.ByteLength)
            throw new ArgumentOutOfRangeException(nameof(offset), $"bytes [{offset}, {offset + length}) lie outside a buffer of {buffer.ByteLength}");
    }

    /// <summary>Throws for the dtypes a floating-point op cannot take.</summary>
    private static bool IsDouble(TensorRef t, string op) => t.DType switch
    {
        DType.Float32 => false,
        DType.Float64 => true,
        _ => throw new ArgumentException($"{op} needs Float32 or Float64, got {t}"),
    };
}
