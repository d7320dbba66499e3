namespace NativeMtl;

/// <summary>Process-wide counts of live tensor handles and of the bytes their storage holds, with peaks, and
/// where those bytes go (<see cref="MemoryBreakdown"/>): a training step inside a disposal scope must leave the
/// live counts where they were, and a benchmark can say what its peak was made of.</summary>
public static class MemoryCounters
{
    private static readonly object Gate = new();
    private static long _liveTensors;
    private static long _peakTensors;
    private static long _liveBytes;
    private static long _peakBytes;
    private static long _peakSavedAll;
    private static readonly long[] Categories = new long[Enum.GetValues<Category>().Length];
    private static long _savedAll;
    private static readonly Dictionary<string, long> SavedByOp = [];
    private static MemoryBreakdown _peakBreakdown = MemoryBreakdown.Empty;

    /// <summary>Where a storage's bytes are counted: its role, or for an activation whether a node saved it.</summary>
    internal enum Category
    {
        Parameter,
        Gradient,
        OptimizerState,
        BalancerBuffer,
        Data,
        Saved,
        Transient,
    }

    /// <summary>How one storage is counted: its category, the op kind that first saved it, and whether any node holds it.</summary>
    internal readonly record struct Account(Category Category, string? SavedBy, bool HeldByNode);

    public static long LiveTensors => Interlocked.Read(ref _liveTensors);

    public static long PeakTensors => Interlocked.Read(ref _peakTensors);

    public static long LiveBytes
    {
        get { lock (Gate) return _liveBytes; }
    }

    public static long PeakBytes
    {
        get { lock (Gate) return _peakBytes; }
    }

    /// <summary>The most bytes that graph nodes held at once (each storage once, parameters included).</summary>
    public static long PeakSavedBytes
    {
        get { lock (Gate) return _peakSavedAll; }
    }

    /// <summary>Where the live bytes are now.</summary>
    public static MemoryBreakdown Breakdown
    {
        get { lock (Gate) return Snapshot(); }
    }

    /// <summary>Where the bytes were when <see cref="PeakBytes"/> was reached.</summary>
    public static MemoryBreakdown PeakBreakdown
    {
        get { lock (Gate) return _peakBreakdown; }
    }

    /// <summary>Starts a new peak measurement from the current live counts.</summary>
    public static void ResetPeaks()
    {
        Interlocked.Exchange(ref _peakTensors, LiveTensors);
        lock (Gate)
        {
            _peakBytes = _liveBytes;
            _peakSavedAll = _savedAll;
            _peakBreakdown = Snapshot();
        }
    }

    internal static void TensorCreated()
    {
        long value = Interlocked.Increment(ref _liveTensors);
        long seen;
        while (value > (seen = Interlocked.Read(ref _peakTensors)))
            if (Interlocked.CompareExchange(ref _peakTensors, value, seen) == seen) return;
    }

    internal static void TensorDisposed() => Interlocked.Decrement(ref _liveTensors);

    /// <summary>Moves a storage's bytes from one account to another; null is "not allocated".</summary>
    internal static void Move(long bytes, Account? from, Account? to)
    {
        lock (Gate)
        {
            if (from is { } f) Count(bytes, f, -1);
            if (to is { } t) Count(bytes, t, +1);
            if (from is null) _liveBytes += bytes;
            if (to is null) _liveBytes -= bytes;
            if (_savedAll > _peakSavedAll) _peakSavedAll = _savedAll;
            if (_liveBytes > _peakBytes)
            {
                _peakBytes = _liveBytes;
                _peakBreakdown = Snapshot();
            }
        }
    }

    private static void Count(long bytes, Account account, int sign)
    {
        Categories[(int)account.Category] += sign * bytes;
        if (account.HeldByNode) _savedAll += sign * bytes;
        if (account.Category == Category.Saved && account.SavedBy is { } op)
        {
            long left = SavedByOp.GetValueOrDefault(op) + sign * bytes;
            if (left == 0) SavedByOp.Remove(op);
            else SavedByOp[op] = left;
        }
    }

    private static MemoryBreakdown Snapshot() => new(
        Categories[(int)Category.Parameter], Categories[(int)Category.Gradient], Categories[(int)Category.OptimizerState],
        Categories[(int)Category.BalancerBuffer], Categories[(int)Category.Data], Categories[(int)Category.Saved],
        Categories[(int)Category.Transient], _savedAll, new Dictionary<string, long>(SavedByOp));
}
