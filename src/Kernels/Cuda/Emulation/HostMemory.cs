using System.Runtime.InteropServices;

namespace NativeMtl.Kernels.Cuda.Emulation;

/// <summary>Host memory behind 64-bit addresses: the memory of a <see cref="HostEmulator"/>'s device, which its kernels
/// dereference directly. Work runs when it is launched, so there is never anything to wait for.</summary>
internal sealed unsafe class HostMemory : IDeviceMemory
{
    public ulong Allocate(long byteLength) => (ulong)NativeMemory.AlignedAlloc((nuint)Math.Max(byteLength, 1), 64);

    public void Free(ulong address) => NativeMemory.AlignedFree((void*)address);

    public void CopyFromHost(ReadOnlySpan<byte> source, ulong destination) => source.CopyTo(new Span<byte>((void*)destination, source.Length));

    public void CopyToHost(ulong source, Span<byte> destination) => new ReadOnlySpan<byte>((void*)source, destination.Length).CopyTo(destination);

    public void Synchronize()
    {
    }
}
