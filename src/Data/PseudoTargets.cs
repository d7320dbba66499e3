using NativeMtl.Kernels;

namespace NativeMtl.Data;

/// <summary>
/// Targets of pseudo-auxiliary tasks (seed 002's noisy auxiliary tasks, made without a pre-trained model): pure noise,
/// and a corrupted copy of the segmentation labels. Each is drawn from Philox counter (pixel, stream, sample index)
/// under key = seed, with streams of their own, so a sample's target is the same every epoch and on every thread:
/// something a network can only memorise, never generalise.
/// </summary>
public static class PseudoTargets
{
    private const uint NoiseStream = 0x2000_0001, LabelStream = 0x2000_0002;

    /// <summary>Per-pixel standard normal values of one sample (Philox's Float32 normal, one block per pixel).</summary>
    public static float[] Noise(long index, int pixels, ulong seed = 0)
    {
        var values = new float[pixels];
        for (int p = 0; p < pixels; p++)
        {
            var (w0, w1, _, _) = Draw(p, NoiseStream, index, seed);
            values[p] = (float)Philox.StandardNormal(w0, w1);
        }
        return values;
    }

    /// <summary>One sample's labels with each labelled pixel, at <paramref name="rate"/>, replaced by a class drawn
    /// uniformly from [0, classes) (possibly its own); unlabelled pixels (−1) stay so.</summary>
    public static int[] CorruptLabels(ReadOnlySpan<int> labels, long index, int classes, double rate, ulong seed = 0)
    {
        if (rate is < 0 or > 1) throw new ArgumentException($"label noise rate {rate} is not in [0, 1]");
        var corrupted = labels.ToArray();
        for (int p = 0; p < corrupted.Length; p++)
        {
            if (corrupted[p] < 0) continue;
            var (w0, w1, w2, w3) = Draw(p, LabelStream, index, seed);
            if (Philox.UnitDouble(w0, w1) < rate) corrupted[p] = (int)(Philox.UnitDouble(w2, w3) * classes);
        }
        return corrupted;
    }

    private static (uint, uint, uint, uint) Draw(int pixel, uint stream, long index, ulong seed) =>
        Philox.Block((uint)pixel, stream, (uint)index, (uint)((ulong)index >> 32), (uint)seed, (uint)(seed >> 32));
}
