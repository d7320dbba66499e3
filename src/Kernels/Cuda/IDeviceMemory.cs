namespace NativeMtl.Kernels.Cuda;

/// <summary>
/// Device memory as <see cref="CudaBackend"/> sees it: 64-bit addresses that kernels dereference. On a GPU the
/// addresses come from the stream-ordered pool and copies are queued on the backend's stream
/// (<see cref="CudaDevice"/>); in a <see cref="HostEmulator"/> they are host addresses, so that the emulated kernels can run on them.
/// </summary>
public interface IDeviceMemory
{
    /// <summary>A new allocation of at least one byte; contents undefined.</summary>
    ulong Allocate(long byteLength);

    /// <summary>Frees after all queued work that uses the allocation.</summary>
    void Free(ulong address);

    void CopyFromHost(ReadOnlySpan<byte> source, ulong destination);

    /// <summary>Waits for all queued work, then copies.</summary>
    void CopyToHost(ulong source, Span<byte> destination);

    /// <summary>Waits for all queued work.</summary>
    void Synchronize();
}
