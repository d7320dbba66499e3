namespace NativeMtl;

/// <summary>
/// A seeded source of random tensors built on the counter-based Philox4x32-10 generator: each draw takes
/// a fresh range of counters, so results depend only on the seed and the order of draws, never on the
/// device or the number of threads.
/// </summary>
public sealed class Generator(ulong seed)
{
    public ulong Seed { get; } = seed;

    /// <summary>The next unused counter; saved in checkpoints to resume a run exactly.</summary>
    public ulong Offset { get; set; }

    /// <summary>Reserves <paramref name="count"/> counters and returns the first.</summary>
    public ulong Take(long count)
    {
        var first = Offset;
        Offset += (ulong)count;
        return first;
    }
}
