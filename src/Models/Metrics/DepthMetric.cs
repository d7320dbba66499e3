namespace NativeMtl.Models;

/// <summary>
/// Depth errors over the pixels with a positive target depth (0 marks a missing value; MTAN and LibMTL test
/// t ≠ 0, which is the same for depths), pooled over every such pixel of an evaluation: abs_err = mean |p − t|
/// and rel_err = mean |p − t| / t as MTAN and LibMTL define them, RMSE = √(mean (p − t)²), and δ_k = the
/// fraction of pixels with max(p/t, t/p) &lt; 1.25^k (Eigen et al.). Pooling over pixels is what LibMTL's
/// DepthMetric computes (its per-batch means are weighted by the number of valid pixels); MTAN averages
/// per-batch means instead, which differs when batches hold different numbers of valid pixels. A prediction
/// ≤ 0 is never within any δ threshold.
/// </summary>
public sealed class DepthMetric : ITaskMetric
{
    private long _count;
    private double _absolute, _relative, _squared;
    private readonly long[] _within = new long[3];

    /// <summary>Valid pixels seen so far.</summary>
    public long Count => _count;

    /// <summary>Adds a batch of predicted and true depths of the same shape ([N, 1, H, W] or any other).</summary>
    public void Update(Tensor prediction, Tensor target)
    {
        const string op = nameof(DepthMetric);
        if (prediction.Shape != target.Shape) throw new ShapeException(op, $"prediction {prediction.Shape} differs from target {target.Shape}");
        Update(HostValues.Doubles(op, prediction), HostValues.Doubles(op, target));
    }

    /// <summary>Adds a batch given on the host.</summary>
    public void Update(ReadOnlySpan<double> predicted, ReadOnlySpan<double> target)
    {
        if (predicted.Length != target.Length)
            throw new ArgumentException($"{nameof(DepthMetric)}: {predicted.Length} predictions for {target.Length} targets");
        for (int i = 0; i < target.Length; i++)
        {
            double t = target[i], p = predicted[i];
            if (!(t > 0)) continue;
            double error = Math.Abs(p - t);
            _count++;
            _absolute += error;
            _relative += error / t;
            _squared += error * error;
            double ratio = p > 0 ? Math.Max(p / t, t / p) : double.PositiveInfinity;
            for (int k = 0; k < 3; k++)
                if (ratio < Math.Pow(1.25, k + 1)) _within[k]++;
        }
    }

    public double AbsoluteError => Mean(_absolute);

    public double RelativeError => Mean(_relative);

    public double Rmse => Math.Sqrt(Mean(_squared));

    /// <summary>δ &lt; 1.25^k for k = 1, 2, 3, as a fraction in [0, 1].</summary>
    public double Delta(int k) => k is >= 1 and <= 3
        ? Mean(_within[k - 1])
        : throw new ArgumentOutOfRangeException(nameof(k), $"{nameof(DepthMetric)}: δ thresholds are 1.25^1 to 1.25^3, not 1.25^{k}");

    public IReadOnlyList<MetricValue> Compute() =>
    [
        MetricValue.Of("abs_err", AbsoluteError),
        MetricValue.Of("rel_err", RelativeError),
        MetricValue.Of("rmse", Rmse),
        MetricValue.Of("delta1", Delta(1)),
        MetricValue.Of("delta2", Delta(2)),
        MetricValue.Of("delta3", Delta(3)),
    ];

    public void Reset()
    {
        _count = 0;
        _absolute = _relative = _squared = 0;
        Array.Clear(_within);
    }

    private double Mean(double sum) =>
        _count > 0 ? sum / _count : throw new InvalidOperationException($"{nameof(DepthMetric)}: no pixel with a positive target depth has been seen");
}
