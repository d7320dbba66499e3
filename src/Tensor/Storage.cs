using NativeMtl.Kernels;

namespace NativeMtl;

/// <summary>A device buffer shared by a tensor and its views; freed when the last of them is disposed.</summary>
internal sealed class Storage
{
    private int _references = 1;

    public Storage(IBackend backend, long byteLength)
    {
        Backend = backend;
        Buffer = backend.Allocate(byteLength);
        MemoryCounters.BytesAllocated(byteLength);
    }

    public IBackend Backend { get; }

    public DeviceBuffer Buffer { get; }

    /// <summary>True while a single tensor handle refers to this storage.</summary>
    public bool IsExclusive => Volatile.Read(ref _references) == 1;

    public Storage AddReference()
    {
        Interlocked.Increment(ref _references);
        return this;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) != 0) return;
        MemoryCounters.BytesReleased(Buffer.ByteLength);
        Buffer.Dispose();
    }
}
