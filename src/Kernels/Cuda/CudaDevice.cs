using System.Runtime.InteropServices;
using System.Text;
using NativeMtl.Kernels.Cuda.Native;

namespace NativeMtl.Kernels.Cuda;

/// <summary>
/// One GPU as the CUDA backend uses it: the device's primary context, one non-blocking stream on which all
/// work is queued in order, the device's default memory pool (stream-ordered cuMemAllocAsync/cuMemFreeAsync),
/// and the cuBLAS and cuDNN handles bound to that stream. Every entry point makes the primary context current
/// on the calling thread first, because thread-pool continuations land on threads that have none.
/// </summary>
public sealed unsafe class CudaDevice : IDeviceMemory, IDisposable
{
    /// <summary>cuBLAS's recommended workspace on Hopper (4 MiB suffices before it).</summary>
    private const long CublasWorkspaceBytes = 32L << 20;

    [ThreadStatic] private static nint _currentContext;

    private readonly nint _context;
    private bool _disposed;

    private CudaDevice(int ordinal, int handle, nint context)
    {
        Ordinal = ordinal;
        Handle = handle;
        _context = context;
    }

    public int Ordinal { get; }

    internal int Handle { get; }

    public string Name { get; private set; } = "";

    public (int Major, int Minor) ComputeCapability { get; private set; }

    public int Multiprocessors { get; private set; }

    /// <summary>The driver's, cuBLAS's and cuDNN's versions as they report them (e.g. driver 13000 = CUDA 13.0), for
    /// benchmark records.</summary>
    public (int Driver, int Cublas, long Cudnn) Versions
    {
        get
        {
            Driver.Check(Native.Driver.cuDriverGetVersion(out int driver), "cuDriverGetVersion");
            Native.Cublas.Check(Native.Cublas.cublasGetVersion(Cublas, out int cublas), "cublasGetVersion");
            return (driver, cublas, (long)Native.Cudnn.cudnnGetVersion());
        }
    }

    /// <summary>The memory's peak bandwidth in bytes/s: 2 transfers per clock (DDR) × memory clock × bus width.</summary>
    public double PeakBandwidth
    {
        get
        {
            Driver.Check(Driver.cuDeviceGetAttribute(out int kiloHertz, MemoryClockRate, Handle), "cuDeviceGetAttribute(memory clock)");
            Driver.Check(Driver.cuDeviceGetAttribute(out int bits, MemoryBusWidth, Handle), "cuDeviceGetAttribute(bus width)");
            return 2.0 * kiloHertz * 1e3 * bits / 8;
        }
    }

    private const int MemoryClockRate = 36, MemoryBusWidth = 37;

    public nint Stream { get; private set; }

    internal nint Cublas { get; private set; }

    internal nint Cudnn { get; private set; }

    /// <summary>Opens device <paramref name="ordinal"/>, loading the driver, cuBLAS and cuDNN first (a
    /// <see cref="DllNotFoundException"/> lists the paths tried when one is missing).</summary>
    public static CudaDevice Open(int ordinal)
    {
        foreach (var library in new[] { "cuda", "cublas", "cudnn" }) CudaLibraries.Require(library);
        Driver.Check(Driver.cuInit(0), "cuInit");
        Driver.Check(Driver.cuDeviceGetCount(out int count), "cuDeviceGetCount");
        if (ordinal < 0 || ordinal >= count)
            throw new ArgumentOutOfRangeException(nameof(ordinal), $"cuda:{ordinal} does not exist: the driver reports {count} device(s)");
        Driver.Check(Driver.cuDeviceGet(out int handle, ordinal), "cuDeviceGet");
        Driver.Check(Driver.cuDevicePrimaryCtxRetain(out nint context, handle), "cuDevicePrimaryCtxRetain");
        var device = new CudaDevice(ordinal, handle, context);
        device.Initialize();
        return device;
    }

    private void Initialize()
    {
        Enter();
        var name = stackalloc byte[256];
        Driver.Check(Driver.cuDeviceGetName(name, 256, Handle), "cuDeviceGetName");
        Name = Marshal.PtrToStringUTF8((nint)name) ?? "";
        ComputeCapability = (Attribute(Driver.DeviceAttributeComputeCapabilityMajor), Attribute(Driver.DeviceAttributeComputeCapabilityMinor));
        Multiprocessors = Attribute(Driver.DeviceAttributeMultiprocessorCount);
        if (Attribute(Driver.DeviceAttributeMemoryPoolsSupported) == 0)
            throw new NotSupportedException($"cuda:{Ordinal} ({Name}) has no stream-ordered memory pool, which the CUDA backend needs");

        Driver.Check(Driver.cuStreamCreate(out nint stream, Driver.StreamNonBlocking), "cuStreamCreate");
        Stream = stream;
        // A training step allocates the same sizes every step: the pool keeps freed memory for reuse instead of
        // returning it to the driver at each synchronization (which would cost a remap per step).
        Driver.Check(Driver.cuDeviceGetDefaultMemPool(out nint pool, Handle), "cuDeviceGetDefaultMemPool");
        ulong threshold = ulong.MaxValue;
        Driver.Check(Driver.cuMemPoolSetAttribute(pool, Driver.MemPoolAttributeReleaseThreshold, &threshold), "cuMemPoolSetAttribute");

        Native.Cublas.Check(Native.Cublas.cublasCreate(out nint cublas), "cublasCreate");
        Cublas = cublas;
        Native.Cublas.Check(Native.Cublas.cublasSetStream(cublas, Stream), "cublasSetStream");
        Native.Cublas.Check(Native.Cublas.cublasSetWorkspace(cublas, Allocate(CublasWorkspaceBytes), (nuint)CublasWorkspaceBytes), "cublasSetWorkspace");
        WorkspaceCounters.Allocated(CublasWorkspaceBytes);
        Native.Cublas.Check(Native.Cublas.cublasSetMathMode(cublas, Native.Cublas.DefaultMath), "cublasSetMathMode");

        Native.Cudnn.Check(Native.Cudnn.cudnnCreate(out nint cudnn), "cudnnCreate");
        Cudnn = cudnn;
        Native.Cudnn.Check(Native.Cudnn.cudnnSetStream(cudnn, Stream), "cudnnSetStream");
    }

    private int Attribute(int attribute)
    {
        Driver.Check(Driver.cuDeviceGetAttribute(out int value, attribute, Handle), "cuDeviceGetAttribute");
        return value;
    }

    /// <summary>Makes the primary context current on this thread (a no-op when it already is).</summary>
    public void Enter()
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_currentContext == _context) return;
        Driver.Check(Driver.cuCtxSetCurrent(_context), "cuCtxSetCurrent");
        _currentContext = _context;
    }

    public ulong Allocate(long byteLength)
    {
        Enter();
        nuint bytes = (nuint)Math.Max(byteLength, 1);
        int result = Driver.cuMemAllocAsync(out ulong address, bytes, Stream);
        if (result == Driver.ErrorOutOfMemory)
        {
            Driver.cuMemGetInfo(out nuint free, out nuint total);
            throw new CudaException(result, "cuMemAllocAsync", $"Allocate on cuda:{Ordinal}",
                $"{Driver.Describe(result)} (asked for {bytes} bytes; {free} of {total} bytes free)");
        }
        Driver.Check(result, "cuMemAllocAsync", $"Allocate {bytes} bytes on cuda:{Ordinal}");
        return address;
    }

    /// <summary>Device memory free now and in all, in bytes.</summary>
    public (long Free, long Total) MemoryInfo
    {
        get
        {
            Enter();
            Driver.Check(Driver.cuMemGetInfo(out nuint free, out nuint total), "cuMemGetInfo");
            return ((long)free, (long)total);
        }
    }

    public void Free(ulong address)
    {
        if (_disposed) return;
        Enter();
        Driver.Check(Driver.cuMemFreeAsync(address, Stream), "cuMemFreeAsync");
    }

    public void CopyFromHost(ReadOnlySpan<byte> source, ulong destination)
    {
        Enter();
        // From pageable memory the copy is staged before the call returns, so the span may be reused at once.
        fixed (byte* p = source)
            Driver.Check(Driver.cuMemcpyHtoDAsync(destination, p, (nuint)source.Length, Stream), "cuMemcpyHtoDAsync", $"CopyFromHost {source.Length} bytes");
    }

    public void CopyToHost(ulong source, Span<byte> destination)
    {
        Enter();
        fixed (byte* p = destination)
            Driver.Check(Driver.cuMemcpyDtoHAsync(p, source, (nuint)destination.Length, Stream), "cuMemcpyDtoHAsync", $"CopyToHost {destination.Length} bytes");
        Synchronize();
    }

    public void Synchronize()
    {
        Enter();
        Driver.Check(Driver.cuStreamSynchronize(Stream), "cuStreamSynchronize", "waiting for queued work (an earlier kernel or library call may have failed)");
    }

    /// <summary>Milliseconds of GPU time taken by <paramref name="work"/>, measured with events on the stream.</summary>
    public float Time(Action work)
    {
        Enter();
        Driver.Check(Driver.cuEventCreate(out nint start, Driver.EventDefault), "cuEventCreate");
        Driver.Check(Driver.cuEventCreate(out nint end, Driver.EventDefault), "cuEventCreate");
        try
        {
            Driver.Check(Driver.cuEventRecord(start, Stream), "cuEventRecord");
            work();
            Driver.Check(Driver.cuEventRecord(end, Stream), "cuEventRecord");
            Driver.Check(Driver.cuEventSynchronize(end), "cuEventSynchronize");
            Driver.Check(Driver.cuEventElapsedTime(out float ms, start, end), "cuEventElapsedTime");
            return ms;
        }
        finally
        {
            Driver.cuEventDestroy(start);
            Driver.cuEventDestroy(end);
        }
    }

    public void Dispose()
    {
        if (_disposed) return;
        Enter();
        Driver.cuStreamSynchronize(Stream);
        Native.Cudnn.cudnnDestroy(Cudnn);
        Native.Cublas.cublasDestroy(Cublas);
        Driver.cuStreamDestroy(Stream);
        Driver.cuDevicePrimaryCtxRelease(Handle);
        _disposed = true;
    }

    public override string ToString()
    {
        var text = new StringBuilder($"cuda:{Ordinal} {Name}, sm_{ComputeCapability.Major}{ComputeCapability.Minor}, {Multiprocessors} SMs");
        if (Driver.cuMemGetInfo(out nuint free, out nuint total) == Driver.Success) text.Append($", {free >> 20} of {total >> 20} MiB free");
        return text.ToString();
    }
}
