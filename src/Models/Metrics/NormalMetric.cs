namespace NativeMtl.Models;

/// <summary>
/// Angular errors of surface normals [N, C, *] (C = 3), in degrees, over the pixels whose target is not all
/// zero, pooled over an evaluation: the mean, the median, and the fractions (in [0, 1], as MTAN and LibMTL
/// report them) of pixels within 11.25°, 22.5° and 30°. Both vectors are normalized, so the prediction need not
/// be unit length; a zero prediction is 90° from everything. The median comes from a histogram of 0.001° bins
/// (within 0.0005° of numpy's median) so memory stays constant over an evaluation of any size; the mean and
/// the fractions are exact.
/// </summary>
public sealed class NormalMetric : ITaskMetric
{
    private const double BinWidth = 0.001;
    private static readonly double[] Thresholds = [11.25, 22.5, 30];

    private readonly long[] _histogram = new long[(int)(180 / BinWidth) + 1];
    private readonly long[] _within = new long[Thresholds.Length];
    private long _count;
    private double _sum;

    /// <summary>Valid pixels seen so far.</summary>
    public long Count => _count;

    public void Update(Tensor prediction, Tensor target)
    {
        const string op = nameof(NormalMetric);
        if (prediction.Shape != target.Shape) throw new ShapeException(op, $"prediction {prediction.Shape} differs from target {target.Shape}");
        if (prediction.Rank < 2) throw new ShapeException(op, $"expects normals [N, C, *], got {prediction.Shape}");
        var p = HostValues.Doubles(op, prediction);
        var t = HostValues.Doubles(op, target);
        int channels = prediction.Shape[1];
        long pixels = prediction.Count / Math.Max(1, (long)prediction.Shape[0] * channels);
        for (long image = 0; image < prediction.Shape[0]; image++)
            for (long pixel = 0; pixel < pixels; pixel++)
            {
                double dot = 0, pp = 0, tt = 0;
                for (long c = 0; c < channels; c++)
                {
                    long i = (image * channels + c) * pixels + pixel;
                    dot += p[i] * t[i];
                    pp += p[i] * p[i];
                    tt += t[i] * t[i];
                }
                if (tt == 0) continue;
                double cos = pp == 0 ? 0 : Math.Clamp(dot / Math.Sqrt(pp * tt), -1, 1);
                Add(Math.Acos(cos) * 180 / Math.PI);
            }
    }

    private void Add(double degrees)
    {
        _count++;
        _sum += degrees;
        _histogram[Math.Min((int)(degrees / BinWidth), _histogram.Length - 1)]++;
        for (int k = 0; k < Thresholds.Length; k++)
            if (degrees < Thresholds[k]) _within[k]++;
    }

    public double MeanAngle => _sum / RequireCount();

    /// <summary>numpy's median: the middle angle, or the mean of the two middle ones for an even count.</summary>
    public double MedianAngle
    {
        get
        {
            long n = RequireCount();
            return (NthSmallest((n - 1) / 2) + NthSmallest(n / 2)) / 2;
        }
    }

    /// <summary>Fraction of pixels within 11.25°.</summary>
    public double Within11_25 => (double)_within[0] / RequireCount();

    /// <summary>Fraction of pixels within 22.5°.</summary>
    public double Within22_5 => (double)_within[1] / RequireCount();

    /// <summary>Fraction of pixels within 30°.</summary>
    public double Within30 => (double)_within[2] / RequireCount();

    public IReadOnlyList<MetricValue> Compute() =>
    [
        MetricValue.Of("mean_angle", MeanAngle),
        MetricValue.Of("median_angle", MedianAngle),
        MetricValue.Of("within_11_25", Within11_25),
        MetricValue.Of("within_22_5", Within22_5),
        MetricValue.Of("within_30", Within30),
    ];

    public void Reset()
    {
        Array.Clear(_histogram);
        Array.Clear(_within);
        _count = 0;
        _sum = 0;
    }

    /// <summary>The centre of the bin holding the angle of 0-based rank <paramref name="rank"/>.</summary>
    private double NthSmallest(long rank)
    {
        long seen = 0;
        for (int bin = 0; bin < _histogram.Length; bin++)
        {
            seen += _histogram[bin];
            if (seen > rank) return Math.Min((bin + 0.5) * BinWidth, 180);
        }
        throw new InvalidOperationException($"{nameof(NormalMetric)}: rank {rank} is beyond the {_count} angles seen");
    }

    private long RequireCount() =>
        _count > 0 ? _count : throw new InvalidOperationException($"{nameof(NormalMetric)}: no pixel with a non-zero target normal has been seen");
}
