namespace NativeMtl;

/// <summary>Process-wide counts of live tensor handles and of the bytes their storage holds, with peaks.
/// A training step inside a disposal scope must leave the live counts where they were.</summary>
public static class MemoryCounters
{
    private static long _liveTensors;
    private static long _liveBytes;
    private static long _peakTensors;
    private static long _peakBytes;

    public static long LiveTensors => Interlocked.Read(ref _liveTensors);

    public static long LiveBytes => Interlocked.Read(ref _liveBytes);

    public static long PeakTensors => Interlocked.Read(ref _peakTensors);

    public static long PeakBytes => Interlocked.Read(ref _peakBytes);

    /// <summary>Starts a new peak measurement from the current live counts.</summary>
    public static void ResetPeaks()
    {
        Interlocked.Exchange(ref _peakTensors, LiveTensors);
        Interlocked.Exchange(ref _peakBytes, LiveBytes);
    }

    internal static void TensorCreated() => RaisePeak(ref _peakTensors, Interlocked.Increment(ref _liveTensors));

    internal static void TensorDisposed() => Interlocked.Decrement(ref _liveTensors);

    internal static void BytesAllocated(long bytes) => RaisePeak(ref _peakBytes, Interlocked.Add(ref _liveBytes, bytes));

    internal static void BytesReleased(long bytes) => Interlocked.Add(ref _liveBytes, -bytes);

    private static void RaisePeak(ref long peak, long value)
    {
        long seen;
        while (value > (seen = Interlocked.Read(ref peak)))
            if (Interlocked.CompareExchange(ref peak, value, seen) == seen) return;
    }
}
