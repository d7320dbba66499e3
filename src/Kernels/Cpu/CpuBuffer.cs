using System.Runtime.InteropServices;

namespace NativeMtl.Kernels.Cpu;

/// <summary>Host memory outside the managed heap, 64-byte aligned for Vector512 loads.</summary>
public sealed unsafe class CpuBuffer : DeviceBuffer
{
    public CpuBuffer(long byteLength) : base(Device.Cpu, byteLength)
    {
        Pointer = NativeMemory.AlignedAlloc((nuint)Math.Max(byteLength, 1), 64);
    }

    public void* Pointer { get; private set; }

    /// <summary>A safety net for a tensor that was never disposed; the live counters still report it.</summary>
    ~CpuBuffer() => Release();

    protected override void Release()
    {
        if (Pointer == null) return;
        NativeMemory.AlignedFree(Pointer);
        Pointer = null;
    }
}
