namespace NativeMtl.Kernels;

/// <summary>Bytes the backends hold as scratch outside any tensor: the CPU's im2col and GEMM packing buffers,
/// cuDNN's and cuBLAS's workspaces. Tensor memory is counted separately (MemoryCounters); benchmarks report both.</summary>
public static class WorkspaceCounters
{
    private static long _liveBytes;
    private static long _peakBytes;

    public static long LiveBytes => Interlocked.Read(ref _liveBytes);

    public static long PeakBytes => Interlocked.Read(ref _peakBytes);

    /// <summary>Starts a new peak measurement from what is held now.</summary>
    public static void ResetPeak() => Interlocked.Exchange(ref _peakBytes, LiveBytes);

    internal static void Allocated(long bytes)
    {
        long value = Interlocked.Add(ref _liveBytes, bytes);
        long seen;
        while (value > (seen = Interlocked.Read(ref _peakBytes)))
            if (Interlocked.CompareExchange(ref _peakBytes, value, seen) == seen) return;
    }

    internal static void Released(long bytes) => Interlocked.Add(ref _liveBytes, -bytes);
}
