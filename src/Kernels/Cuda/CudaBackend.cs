using System.Runtime.InteropServices;

namespace NativeMtl.Kernels.Cuda;

/// <summary>
/// The CUDA backend: custom kernels (kernels/*.cu) for everything but convolution, batch norm and GEMM, which go
/// to cuDNN and cuBLAS. All work is queued on one stream and returns at once; CopyToHost and Synchronize wait.
/// Memory and launches go through two seams, <see cref="IDeviceMemory"/> and <see cref="IKernelLauncher"/>: on a
/// GPU both are a <see cref="CudaDevice"/>'s, while a <see cref="HostEmulator"/> plugs in host memory and the host
/// emulator of the same kernel sources, so every custom-kernel op runs end to end without a GPU. cuDNN and cuBLAS exist only
/// on a GPU: without a <see cref="CudaDevice"/> those ops throw. One file per op family, as in the CPU backend.
/// </summary>
public sealed partial class CudaBackend : IBackend
{
    /// <summary>Threads per block of the one-thread-per-element kernels.</summary>
    private const uint ElementBlock = 256;


    /// <summary>No position has been flagged by an NLL kernel (see <see cref="CheckDeviceErrors"/>).</summary>
    private const int NoBadTarget = int.MaxValue;

    private readonly IDeviceMemory _memory;
    private readonly IKernelLauncher _launcher;
    private readonly CudaDevice? _gpu;
    private readonly LaunchLimits _limits;
    private readonly ulong _badTarget;
    private (string Op, int Classes, int IgnoreIndex)? _pendingNll;

    /// <summary>A backend on a GPU.</summary>
    public CudaBackend(CudaDevice gpu) : this(gpu, new CudaLauncher(gpu), gpu, Device.Cuda(gpu.Ordinal), LaunchLimits.Gpu)
    {
    }

    /// <summary>A backend on other memory and launcher (a <see cref="HostEmulator"/>'s): custom kernels only, with
    /// its own caps on grid sizes (tiny ones make every grid-stride loop wrap).</summary>
    public CudaBackend(IDeviceMemory memory, IKernelLauncher launcher, Device device, LaunchLimits? limits = null)
        : this(memory, launcher, null, device, limits ?? LaunchLimits.Gpu)
    {
    }

    private CudaBackend(IDeviceMemory memory, IKernelLauncher launcher, CudaDevice? gpu, Device device, LaunchLimits limits)
    {
        _memory = memory;
        _launcher = launcher;
        _gpu = gpu;
        _limits = limits;
        Device = device;
        _badTarget = memory.Allocate(sizeof(int));
        ResetBadTarget();
    }

    public Device Device { get; }

    /// <summary>The GPU this backend runs on, or null under emulation.</summary>
    public CudaDevice? Gpu => _gpu;

    public DeviceBuffer Allocate(long byteLength) => new CudaBuffer(_memory, Device, byteLength);

    public void CopyFromHost(ReadOnlySpan<byte> source, DeviceBuffer destination, long destinationByteOffset)
    {
        var target = Own(destination, "CopyFromHost");
        CheckRange(target, destinationByteOffset, source.Length);
        if (source.Length > 0) _memory.CopyFromHost(source, target.Address + (ulong)destinationByteOffset);
    }

    public void CopyToHost(DeviceBuffer source, long sourceByteOffset, Span<byte> destination)
    {
        var origin = Own(source, "CopyToHost");
        CheckRange(origin, sourceByteOffset, destination.Length);
        if (destination.Length > 0) _memory.CopyToHost(origin.Address + (ulong)sourceByteOffset, destination);
        else _memory.Synchronize();
        CheckDeviceErrors();
    }

    public void Synchronize()
    {
        _memory.Synchronize();
        CheckDeviceErrors();
    }

    /// <summary>Kernels cannot throw: an NLL kernel that meets a target out of range records the smallest such
    /// position in a device flag, and the next wait reports it here.</summary>
    private void CheckDeviceErrors()
    {
        if (_pendingNll is null) return;
        var (op, classes, ignoreIndex) = _pendingNll.Value;
        _pendingNll = null;
        Span<byte> flag = stackalloc byte[sizeof(int)];
        _memory.CopyToHost(_badTarget, flag);
        int position = MemoryMarshal.Read<int>(flag);
        if (position == NoBadTarget) return;
        ResetBadTarget();
        throw new ArgumentException($"{op}: the target at flat position {position} is outside [0, {classes}) and is not the ignore index " +
            $"{ignoreIndex} (found on the device; reported at the first synchronization after the op was queued)");
    }

    private void ResetBadTarget() =>
        _memory.CopyFromHost(MemoryMarshal.AsBytes<int>([NoBadTarget]), _badTarget);

    private CudaBuffer Own(DeviceBuffer buffer, string op)
    {
        if (buffer is not CudaBuffer cuda || !ReferenceEquals(cuda.Memory, _memory))
            throw new ArgumentException($"{op}: the buffer belongs to {buffer.Device}'s {buffer.GetType().Name}, not to this {Device} backend");
        ObjectDisposedException.ThrowIf(cuda.IsDisposed, cuda);
        return cuda;
    }

    private static void CheckRange(CudaBuffer buffer, long offset, long length)
    {
        if (offset < 0 || offset + length > buffer.ByteLength)
            throw new ArgumentOutOfRangeException(nameof(offset), $"bytes [{offset}, {offset + length}) lie outside a buffer of {buffer.ByteLength}");
    }

    /// <summary>Device address of the tensor's first element.</summary>
    private ulong Address(TensorRef t, string op) =>
        Own(t.Buffer, op).Address + (ulong)(t.Offset * t.DType.SizeInBytes());

    /// <summary>Device address of an optional tensor, or 0 (a null pointer in the kernel).</summary>
    private ulong AddressOrNull(TensorRef? t, string op) => t is { } present ? Address(present, op) : 0;

    /// <summary>The kernel name suffix of a floating-point tensor's dtype.</summary>
    private static string FloatSuffix(TensorRef t, string op) => t.DType switch
    {
        DType.Float32 => "f32",
        DType.Float64 => "f64",
        _ => throw new ArgumentException($"{op} needs Float32 or Float64, got {t}"),
    };

    private static string Suffix(DType dtype) => dtype switch
    {
        DType.Float32 => "f32",
        DType.Float64 => "f64",
        _ => "i32",
    };

    /// <summary>A grid-stride launch of one thread per element over <paramref name="count"/> elements.</summary>
    private LaunchShape PerElement(long count) =>
        new((uint)Math.Clamp((count + ElementBlock - 1) / ElementBlock, 1, _limits.MaxGrid), ElementBlock);

    private void Launch(string kernel, LaunchShape shape, in KernelArgs args, string op, ReadOnlySpan<TensorRef> operands) =>
        _launcher.Launch(kernel, shape, args.Pointers, op, operands);

    private static void RequireContiguous(string op, params ReadOnlySpan<TensorRef> tensors)
    {
        foreach (var t in tensors)
            if (!t.IsContiguous) throw new ArgumentException($"{op}: {t} must be contiguous");
    }

    /// <summary>The GPU for a cuDNN or cuBLAS op (they have no emulation), with its context current on this thread.</summary>
    private CudaDevice Vendor(string op, string library)
    {
        var gpu = _gpu ?? throw new NotSupportedException($"{op} runs on {library}, which needs a GPU; this {Device} backend runs custom kernels only (host emulation)");
        gpu.Enter();
        return gpu;
    }
}
