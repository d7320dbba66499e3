namespace NativeMtl.Kernels;

/// <summary>One raw allocation on a device. The backend that made it is the only one that may read or
/// write it. Released deterministically by <see cref="Dispose"/>, never by the garbage collector.</summary>
public abstract class DeviceBuffer : IDisposable
{
    protected DeviceBuffer(Device device, long byteLength)
    {
        Device = device;
        ByteLength = byteLength;
    }

    public Device Device { get; }

    public long ByteLength { get; }

    public bool IsDisposed { get; private set; }

    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        Release();
        GC.SuppressFinalize(this);
    }

    protected abstract void Release();
}
