namespace NativeMtl.Kernels.Cuda;

/// <summary>An allocation of a <see cref="CudaBackend"/>'s memory. There is no finalizer: device memory is
/// released by Dispose only (a finalizer thread has no CUDA context, and the pool frees in stream order).</summary>
public sealed class CudaBuffer : DeviceBuffer
{
    private readonly IDeviceMemory _memory;

    public CudaBuffer(IDeviceMemory memory, Device device, long byteLength) : base(device, byteLength)
    {
        _memory = memory;
        Address = memory.Allocate(byteLength);
    }

    /// <summary>The device address of the first byte.</summary>
    public ulong Address { get; }

    /// <summary>The memory this buffer came from; a backend accepts only its own buffers.</summary>
    internal IDeviceMemory Memory => _memory;

    protected override void Release() => _memory.Free(Address);
}
