using System.Runtime.InteropServices;

namespace NativeMtl.Kernels.Cpu;

/// <summary>One thread's packing buffers for <see cref="GemmKernel"/>: 64-byte aligned native memory that grows
/// to the largest request and is reused by every later GEMM on that thread, so no call allocates once warm.
/// A renter takes the buffer off its thread and gives it back when done, so a nested or re-entrant call gets
/// a fresh one instead of sharing. The memory is freed when the thread, and with it the cached instance, dies.</summary>
internal sealed unsafe class GemmScratch
{
    public const int Alignment = 64;

    [ThreadStatic]
    private static GemmScratch? t_cached;

    private void* _memory;
    private nuint _bytes;

    public static GemmScratch Rent()
    {
        var scratch = t_cached ?? new GemmScratch();
        t_cached = null;
        return scratch;
    }

    public void Return() => t_cached = this;

    /// <summary>At least <paramref name="bytes"/> bytes; earlier contents are not kept when it grows.</summary>
    public byte* Ensure(nuint bytes)
    {
        if (bytes > _bytes)
        {
            NativeMemory.AlignedFree(_memory);
            WorkspaceCounters.Released((long)_bytes);
            _memory = null;
            _bytes = 0;
            _memory = NativeMemory.AlignedAlloc(bytes, Alignment);
            _bytes = bytes;
            WorkspaceCounters.Allocated((long)bytes);
        }
        return (byte*)_memory;
    }

    ~GemmScratch()
    {
        NativeMemory.AlignedFree(_memory);
        WorkspaceCounters.Released((long)_bytes);
    }

    /// <summary>Rounds a byte count up to the alignment, so regions carved one after another stay aligned.</summary>
    public static nuint Align(nuint bytes) => (bytes + Alignment - 1) & ~(nuint)(Alignment - 1);
}
