using System.Collections.Concurrent;
using System.Runtime.InteropServices;
using NativeMtl.Kernels;
using NativeMtl.Kernels.Cuda;

namespace NativeMtl.Tests.Emulation;

/// <summary>Launches kernels in the host emulator (libnmtl_emu.so, built from kernels/ by this project), with the
/// kernelParams array the backend built for cuLaunchKernel. Remembers which kernels ran.</summary>
internal sealed unsafe partial class EmulatedLauncher : IKernelLauncher
{
    private const string Library = "nmtl_emu";

    public ConcurrentQueue<string> Launched { get; } = new();

    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)]
    private static partial int emu_launch(string name, uint gx, uint gy, uint gz, uint bx, uint by, uint bz, nint* args);

    [LibraryImport(Library)]
    private static partial int emu_kernel_count();

    [LibraryImport(Library)]
    private static partial nint emu_kernel_name(int index);

    public static string[] KernelNames() =>
        Enumerable.Range(0, emu_kernel_count()).Select(i => Marshal.PtrToStringUTF8(emu_kernel_name(i))!).ToArray();

    public void Launch(string kernel, LaunchShape shape, ReadOnlySpan<nint> args, string op, ReadOnlySpan<TensorRef> operands)
    {
        int result;
        fixed (nint* p = args)
            result = emu_launch(kernel, shape.GridX, shape.GridY, shape.GridZ, shape.BlockX, shape.BlockY, shape.BlockZ, p);
        if (result == 1) throw new InvalidOperationException($"{op}: the emulator has no kernel '{kernel}'");
        if (result == 2) throw new InvalidOperationException($"{op}: {kernel} launched with a block of {shape.Threads} threads (1 to 1024 allowed)");
        if (result == 3) throw new InvalidOperationException($"{op}: {kernel} launched with an empty grid ({shape.GridX}×{shape.GridY}×{shape.GridZ} blocks)");
        Launched.Enqueue(kernel);
    }

    public void Launch(RuntimeModule module, string kernel, LaunchShape shape, ReadOnlySpan<nint> args, string op, ReadOnlySpan<TensorRef> operands) =>
        throw new NotSupportedException($"{op}: the test suite's emulator runs no runtime modules ({module.Name})");
}

/// <summary>Host memory behind 64-bit addresses, the emulated device's memory.</summary>
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
