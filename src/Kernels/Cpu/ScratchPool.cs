using System.Runtime.InteropServices;

namespace NativeMtl.Kernels.Cpu;

/// <summary>
/// Reusable 64-byte-aligned native workspaces (im2col columns, per-thread partial sums), so that a training
/// step does not allocate and free megabytes of scratch per op. A lease returns its block on dispose. The
/// pool keeps one block per core plus one, which is what the widest kernel holds at once, and frees the
/// rest, so its footprint stays bounded however long training runs.
/// </summary>
internal static unsafe class ScratchPool
{
    private static readonly List<Block> Free = [];

    private static int Capacity => Environment.ProcessorCount + 1;

    /// <summary>A block of at least <paramref name="byteLength"/> bytes; its contents are undefined.</summary>
    public static Lease Rent(long byteLength)
    {
        lock (Free)
        {
            int best = -1;
            for (int i = 0; i < Free.Count; i++)
                if (Free[i].ByteLength >= byteLength && (best < 0 || Free[i].ByteLength < Free[best].ByteLength))
                    best = i;
            if (best >= 0)
            {
                var block = Free[best];
                Free.RemoveAt(best);
                return new Lease(block);
            }
        }
        WorkspaceCounters.Allocated(byteLength);
        return new Lease(new Block((nint)NativeMemory.AlignedAlloc((nuint)Math.Max(byteLength, 1), 64), byteLength));
    }

    private static void Return(Block block)
    {
        lock (Free)
        {
            Free.Add(block);
            if (Free.Count <= Capacity) return;
            // The smallest block is the one least likely to serve the next request.
            int smallest = 0;
            for (int i = 1; i < Free.Count; i++)
                if (Free[i].ByteLength < Free[smallest].ByteLength) smallest = i;
            block = Free[smallest];
            Free.RemoveAt(smallest);
        }
        NativeMemory.AlignedFree((void*)block.Pointer);
        WorkspaceCounters.Released(block.ByteLength);
    }

    internal readonly record struct Block(nint Pointer, long ByteLength);

    /// <summary>A rented block; the default lease holds nothing and disposes to nothing.</summary>
    public readonly struct Lease : IDisposable
    {
        private readonly Block _block;

        internal Lease(Block block) => _block = block;

        public T* As<T>() where T : unmanaged => (T*)_block.Pointer;

        public void Dispose()
        {
            if (_block.Pointer != 0) Return(_block);
        }
    }
}
