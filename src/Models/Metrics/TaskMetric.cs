namespace NativeMtl.Models;

/// <summary>One named result of an evaluation, with the direction in which it improves (Δ_MTL needs it).</summary>
public readonly record struct MetricValue(string Name, double Value, bool HigherIsBetter);

/// <summary>
/// A metric accumulated over a whole evaluation on the host: each batch's predictions and targets are read back
/// once, and the result covers every pixel seen since the last <see cref="Reset"/>, however the batches fell.
/// </summary>
public interface ITaskMetric
{
    void Update(Tensor prediction, Tensor target);

    IReadOnlyList<MetricValue> Compute();

    void Reset();
}

internal static class HostValues
{
    /// <summary>A floating-point tensor's elements as doubles, in row-major order (waits for the device).</summary>
    public static double[] Doubles(string op, Tensor t) => t.DType switch
    {
        DType.Float64 => t.ToArray<double>(),
        DType.Float32 => Array.ConvertAll(t.ToArray<float>(), v => (double)v),
        _ => throw new ArgumentException($"{op}: needs floating-point values, not {t.DType}{t.Shape}"),
    };
}
