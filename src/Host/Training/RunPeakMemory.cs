namespace NativeMtl.Host.Training;

/// <summary>
/// The most tensor bytes live at once while a run trains, for run.json. The engine's counters are process-wide, so a
/// run that shared its process with another run (a sweep with <c>--jobs</c> above 1, tests) has no figure of its own:
/// <see cref="End"/> gives null for it rather than a mixture.
/// </summary>
internal sealed class RunPeakMemory
{
    private static int s_running;
    private static long s_starts;
    private readonly long _startsAtBegin;
    private readonly bool _aloneAtBegin;

    private RunPeakMemory(long starts, bool alone) => (_startsAtBegin, _aloneAtBegin) = (starts, alone);

    public static RunPeakMemory Begin()
    {
        var peak = new RunPeakMemory(Interlocked.Increment(ref s_starts), Interlocked.Increment(ref s_running) == 1);
        MemoryCounters.ResetPeaks();
        return peak;
    }

    /// <summary>The peak since <see cref="Begin"/>; null when another run began before this one ended or was running
    /// when it began.</summary>
    public long? End()
    {
        long? peak = _aloneAtBegin && Interlocked.Read(ref s_starts) == _startsAtBegin ? MemoryCounters.PeakBytes : null;
        Interlocked.Decrement(ref s_running);
        return peak;
    }
}
