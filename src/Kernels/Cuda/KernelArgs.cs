using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace NativeMtl.Kernels.Cuda;

/// <summary>
/// Builds a kernelParams array on the stack: each value is copied into <c>storage</c> at its natural alignment
/// and its address appended to <c>slots</c>. Both spans must be stack memory (stackalloc), which the garbage
/// collector never moves, so the addresses stay valid until the launch returns.
/// </summary>
public unsafe ref struct KernelArgs
{
    /// <summary>Bytes of argument storage a launch needs at most (six tensor descriptors and scalars).</summary>
    public const int StorageBytes = 1024;

    public const int MaxArguments = 24;

    private readonly Span<byte> _storage;
    private readonly Span<nint> _slots;
    private int _used;
    private int _count;

    public KernelArgs(Span<byte> storage, Span<nint> slots)
    {
        _storage = storage;
        _slots = slots;
    }

    public readonly ReadOnlySpan<nint> Pointers => _slots[.._count];

    public void Add<T>(T value) where T : unmanaged
    {
        int align = Math.Min(sizeof(T), 8);
        _used = (_used + align - 1) / align * align;
        if (_used + sizeof(T) > _storage.Length || _count == _slots.Length)
            throw new InvalidOperationException($"kernel arguments exceed {_storage.Length} bytes or {_slots.Length} parameters");
        MemoryMarshal.Write(_storage[_used..], in value);
        _slots[_count++] = (nint)Unsafe.AsPointer(ref _storage[_used]);
        _used += sizeof(T);
    }
}

/// <summary>The kernels' TensorDesc (prelude.cuh): rank, then sizes and element strides, at most 8 axes.</summary>
[StructLayout(LayoutKind.Sequential)]
public unsafe struct KernelTensor
{
    public const int MaxRank = 8;

    public int Rank;
    private int _reserved;
    public fixed long Size[MaxRank];
    public fixed long Stride[MaxRank];

    /// <summary>A descriptor of the given sizes and strides, already merged (see StridedLoop.Coalesce).</summary>
    public static KernelTensor Of(string op, ReadOnlySpan<int> sizes, ReadOnlySpan<long> strides)
    {
        if (sizes.Length > MaxRank)
            throw new ArgumentException($"{op}: [{string.Join(",", sizes.ToArray())}] still has {sizes.Length} axes after merging; CUDA kernels take at most {MaxRank}");
        var d = new KernelTensor { Rank = sizes.Length };
        for (int a = 0; a < sizes.Length; a++)
        {
            d.Size[a] = sizes[a];
            d.Stride[a] = strides[a];
        }
        return d;
    }

    /// <summary>A dense tensor of <paramref name="count"/> elements, as rank 1.</summary>
    public static KernelTensor Dense(long count)
    {
        var d = new KernelTensor { Rank = 1 };
        d.Size[0] = count;
        d.Stride[0] = 1;
        return d;
    }
}

/// <summary>The kernels' PoolWindow (pool.cu).</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct KernelPoolWindow(int KernelH, int KernelW, int StrideH, int StrideW, int PadH, int PadW, int CountIncludePad)
{
    public static KernelPoolWindow Of(Pool2dGeometry g) =>
        new(g.KernelH, g.KernelW, g.StrideH, g.StrideW, g.PadH, g.PadW, g.CountIncludePad ? 1 : 0);
}
