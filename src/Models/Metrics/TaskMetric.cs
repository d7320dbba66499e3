namespace NativeMtl.Models;

/// <summary>One named result of an evaluation, with the direction in which it improves (Δ_MTL needs it).</summary>
public readonly record struct MetricValue(string Name, double Value, bool HigherIsBetter)
{
    /// <summary>A metric by its name, with its direction from <see cref="MetricInfo"/>.</summary>
    public static MetricValue Of(string name, double value) => new(name, value, MetricInfo.Of(name).HigherIsBetter);

    /// <summary>"name ↑ (unit)": how a table or a chart labels it.</summary>
    public string Caption => MetricInfo.Of(Name).Caption(Name);
}

/// <summary>What a metric measures, by name: the direction in which it improves, its unit ("" for a ratio or a loss),
/// and a reading of its name where the name is terse ("within_11_25": "< 11.25°"). The one place these are defined:
/// the metrics, the console, metrics.jsonl's readers, final_metrics.json's schema and the report all take them here.</summary>
public sealed record MetricInfo(bool HigherIsBetter, string Unit = "", string? Reading = null)
{
    private static readonly Dictionary<string, MetricInfo> Known = new()
    {
        ["miou"] = new(true, Reading: "mean IoU"),
        ["pixel_accuracy"] = new(true),
        ["abs_err"] = new(false, "m", "mean |depth error|"),
        ["rel_err"] = new(false, Reading: "mean |error| / depth"),
        ["rmse"] = new(false, "m"),
        ["delta1"] = new(true, Reading: "max(d/d̂, d̂/d) < 1.25"),
        ["delta2"] = new(true, Reading: "max(d/d̂, d̂/d) < 1.25²"),
        ["delta3"] = new(true, Reading: "max(d/d̂, d̂/d) < 1.25³"),
        ["mean_angle"] = new(false, "°"),
        ["median_angle"] = new(false, "°"),
        ["within_11_25"] = new(true, Reading: "angle < 11.25°"),
        ["within_22_5"] = new(true, Reading: "angle < 22.5°"),
        ["within_30"] = new(true, Reading: "angle < 30°"),
        ["add_s_01d"] = new(true, Reading: "ADD(-S) < 0.1·diameter"),
        ["rotation_error"] = new(false, "°"),
        ["translation_error"] = new(false, "m"),
        ["pnp_misses"] = new(false, Reading: "share without a pose"),
        ["loss"] = new(false),
    };

    /// <summary>A metric's description; one not known here improves downwards, as losses do.</summary>
    public static MetricInfo Of(string name) => Known.GetValueOrDefault(name) ?? new MetricInfo(false);

    public string Arrow => HigherIsBetter ? "↑" : "↓";

    /// <summary>"name ↑", then the reading and the unit where there are.</summary>
    public string Caption(string name)
    {
        var extra = string.Join(", ", new[] { Reading, Unit.Length > 0 ? Unit : null }.OfType<string>());
        return extra.Length > 0 ? $"{name} {Arrow} ({extra})" : $"{name} {Arrow}";
    }
}

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
