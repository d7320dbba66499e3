using NativeMtl.Models;

namespace NativeMtl.Tests.Models;

public class MetricTests
{
    // Eight pixels, three classes, −1 unlabelled. Confusion (rows: label, columns: prediction):
    //   label 0: predicted 0 twice (pixels 0, 7), 1 once (pixel 1)  → [2, 1, 0]
    //   label 1: predicted 1 twice (pixels 2, 3), 0 once (pixel 4)  → [1, 2, 0]
    //   label 2: predicted 1 once (pixel 5)                         → [0, 1, 0]
    //   pixel 6 is unlabelled and counts nowhere.
    // IoU = TP / (row + column − TP): class 0: 2 / (3 + 3 − 2) = 0.5; class 1: 2 / (3 + 4 − 2) = 0.4; class 2: 0 / 1 = 0.
    private static readonly int[] SegLabels = [0, 0, 1, 1, 1, 2, -1, 0];
    private static readonly int[] SegPredictions = [0, 1, 1, 1, 0, 1, 2, 0];

    [Fact]
    public void MeanIoUAndPixelAccuracyComeFromTheConfusionMatrixWithoutUnlabelledPixels()
    {
        var metric = new SegmentationMetric(3);
        metric.Update(SegPredictions, SegLabels);
        Assert.Equal(2, metric.Confusion(0, 0));
        Assert.Equal(1, metric.Confusion(2, 1));
        Assert.Equal((0.5 + 0.4 + 0) / 3, metric.MeanIoU, 15);
        // 2 + 2 + 0 correct of 7 labelled pixels.
        Assert.Equal(4.0 / 7, metric.PixelAccuracy, 15);
    }

    [Fact]
    public void AClassAbsentFromLabelsAndPredictionsIsLeftOutOfTheMeanIoU()
    {
        // A fourth class that never occurs has IoU 0/0: the mean stays (0.5 + 0.4 + 0) / 3, not / 4.
        var metric = new SegmentationMetric(4);
        metric.Update(SegPredictions, SegLabels);
        Assert.True(double.IsNaN(metric.IoU(3)));
        Assert.Equal(0.3, metric.MeanIoU, 15);
    }

    [Fact]
    public void SegmentationScoresArePredictedByTheirArgmaxAndBatchesAccumulate()
    {
        using var scope = DisposeScope.Enter();
        var metric = new SegmentationMetric(3);
        // Scores [1, 3, 1, 4] whose argmax over classes is the first half of SegPredictions: 0, 1, 1, 1.
        var scores = Tensors.FromArray([5f, 0, 0, 0, 0, 4, 3, 2, 1, 1, 2, 1], 1, 3, 1, 4);
        metric.Update(scores, Tensors.FromArray(SegLabels[..4], 1, 1, 4));
        metric.Update(Tensors.FromArray(SegPredictions[4..], 1, 4), Tensors.FromArray(SegLabels[4..], 1, 4));
        Assert.Equal(0.3, metric.MeanIoU, 15);
        Assert.Equal(4.0 / 7, metric.PixelAccuracy, 15);
    }

    [Fact]
    public void ALabelOutsideTheClassesIsRefusedAndNothingOfItsBatchIsCounted()
    {
        var metric = new SegmentationMetric(3);
        var e = Assert.Throws<ArgumentException>(() => metric.Update([0, 1, 2], [0, 1, 255]));
        Assert.Equal("SegmentationMetric: label 255 at pixel 2 is outside [0, 3) and is not the ignore index -1", e.Message);
        Assert.Equal(0, metric.Confusion(0, 0));
    }

    [Fact]
    public void DepthErrorsAndThresholdAccuraciesCoverThePixelsWithPositiveTargets()
    {
        using var scope = DisposeScope.Enter();
        // pred (1.4, 2, 3, 4, 5.5) against target (2, 2, 2.5, 0, 3); pixel 3 has no depth.
        // |p − t|: 0.6, 0, 0.5, 2.5           → abs_err = 3.6 / 4 = 0.9
        // |p − t| / t: 0.3, 0, 0.2, 2.5 / 3   → rel_err = (0.5 + 5/6) / 4 = 1/3
        // (p − t)²: 0.36, 0, 0.25, 6.25       → rmse = √(6.86 / 4)
        // max(p/t, t/p): 1/0.7 ≈ 1.4286, 1, 1.2, 1.8333 → δ1 (< 1.25) 2/4, δ2 (< 1.5625) 3/4, δ3 (< 1.953125) 4/4
        var metric = new DepthMetric();
        metric.Update(Tensors.FromArray([1.4, 2, 3, 4, 5.5], 1, 1, 1, 5), Tensors.FromArray([2.0, 2, 2.5, 0, 3], 1, 1, 1, 5));
        Assert.Equal(4, metric.Count);
        Assert.Equal(0.9, metric.AbsoluteError, 14);
        Assert.Equal(1.0 / 3, metric.RelativeError, 14);
        Assert.Equal(Math.Sqrt(6.86 / 4), metric.Rmse, 14);
        Assert.Equal([0.5, 0.75, 1.0], [metric.Delta(1), metric.Delta(2), metric.Delta(3)]);
    }

    [Fact]
    public void DepthErrorsArePooledOverPixelsNotAveragedOverBatches()
    {
        // Batch 1: one pixel off by 1. Batch 2: three exact pixels. Pooled: 1 / 4 = 0.25 (a mean of batch means
        // would give (1 + 0) / 2 = 0.5).
        var metric = new DepthMetric();
        metric.Update([1.0], [2.0]);
        metric.Update([1.0, 2, 3], [1.0, 2, 3]);
        Assert.Equal(0.25, metric.AbsoluteError, 15);
    }

    [Fact]
    public void ANonPositiveDepthPredictionIsWithinNoThreshold()
    {
        // p = −2, t = 2: max(p/t, t/p) = −1 would pass every threshold if taken literally.
        var metric = new DepthMetric();
        metric.Update([-2.0], [2.0]);
        Assert.Equal(0.0, metric.Delta(3));
    }

    [Fact]
    public void NormalAnglesAreMeasuredBetweenNormalizedVectorsOverNonZeroTargets()
    {
        using var scope = DisposeScope.Enter();
        // Target (0, 0, 1) everywhere but pixel 5 (all zero: missing). Predictions at 0°, 10°, 20°, 28° and 90°
        // from it, with lengths 2, 1, 3, 0.5, 1 (normalization must not matter).
        // mean = (0 + 10 + 20 + 28 + 90) / 5 = 29.6; median = 20; within 11.25°: 2/5, 22.5°: 3/5, 30°: 4/5.
        double[] angles = [0, 10, 20, 28, 90, 45];
        double[] lengths = [2, 1, 3, 0.5, 1, 1];
        var pred = new double[3 * 6];
        var target = new double[3 * 6];
        for (int p = 0; p < 6; p++)
        {
            double a = angles[p] * Math.PI / 180;
            pred[0 * 6 + p] = lengths[p] * Math.Sin(a);
            pred[2 * 6 + p] = lengths[p] * Math.Cos(a);
            target[2 * 6 + p] = p == 5 ? 0 : 1;
        }
        var metric = new NormalMetric();
        metric.Update(Tensors.FromArray(pred, 1, 3, 1, 6), Tensors.FromArray(target, 1, 3, 1, 6));
        Assert.Equal(5, metric.Count);
        Assert.Equal(29.6, metric.MeanAngle, 10);
        Assert.Equal(20, metric.MedianAngle, 0.0005);
        Assert.Equal([0.4, 0.6, 0.8], [metric.Within11_25, metric.Within22_5, metric.Within30]);
    }

    [Fact]
    public void TheMedianOfAnEvenNumberOfAnglesIsTheMeanOfTheTwoMiddleOnes()
    {
        using var scope = DisposeScope.Enter();
        // Angles 90°, 10°, 30°, 180° about the x axis: the middle two are 30° and 90°, so the median is 60°.
        double[] angles = [90, 10, 30, 180];
        var pred = new double[3 * 4];
        var target = new double[3 * 4];
        for (int p = 0; p < 4; p++)
        {
            double a = angles[p] * Math.PI / 180;
            pred[0 * 4 + p] = Math.Cos(a);
            pred[1 * 4 + p] = Math.Sin(a);
            target[0 * 4 + p] = 1;
        }
        var metric = new NormalMetric();
        metric.Update(Tensors.FromArray(pred, 1, 3, 2, 2), Tensors.FromArray(target, 1, 3, 2, 2));
        Assert.Equal(60, metric.MedianAngle, 0.0005);
    }

    [Fact]
    public void AZeroNormalPredictionIsNinetyDegreesFromItsTarget()
    {
        using var scope = DisposeScope.Enter();
        var metric = new NormalMetric();
        metric.Update(Tensors.Zeros(new Shape(1, 3, 1, 1), DType.Float64), Tensors.FromArray([0.0, 1, 0], 1, 3, 1, 1));
        Assert.Equal(90, metric.MeanAngle, 12);
    }

    [Fact]
    public void DeltaMtlAveragesSignedRelativeChangesPerTaskThenOverTasks()
    {
        // seg (higher is better): (0.40 − 0.38)/0.38 = 1/19 and (0.66 − 0.65)/0.65 = 1/65, task mean (1/19 + 1/65)/2.
        // depth (lower is better): −(0.60 − 0.64)/0.64 = +1/16 and −(0.25 − 0.24)/0.24 = −1/24, task mean 1/96.
        // Δ = 100 · ((1/19 + 1/65)/2 + 1/96) / 2
        var multi = new Dictionary<string, IReadOnlyList<MetricValue>>
        {
            ["seg"] = [new("miou", 0.40, true), new("pixel_accuracy", 0.66, true)],
            ["depth"] = [new("abs_err", 0.60, false), new("rel_err", 0.25, false)],
        };
        var single = new Dictionary<string, IReadOnlyList<MetricValue>>
        {
            ["seg"] = [new("pixel_accuracy", 0.65, true), new("miou", 0.38, true)],
            ["depth"] = [new("abs_err", 0.64, false), new("rel_err", 0.24, false), new("rmse", 1.0, false)],
        };
        Assert.Equal(100 * ((1.0 / 19 + 1.0 / 65) / 2 + 1.0 / 96) / 2, DeltaMtl.Compute(multi, single), 12);
    }

    [Fact]
    public void DeltaMtlNamesAMetricTheBaselineLacks()
    {
        var multi = new Dictionary<string, IReadOnlyList<MetricValue>> { ["depth"] = [new("rmse", 0.5, false)] };
        var single = new Dictionary<string, IReadOnlyList<MetricValue>> { ["depth"] = [new("abs_err", 0.5, false)] };
        var e = Assert.Throws<ArgumentException>(() => DeltaMtl.Compute(multi, single));
        Assert.Equal("Δ_MTL: single-task results for task 'depth' have 0 metrics named 'rmse', not one", e.Message);
    }

    [Fact]
    public void ComputedMetricsCarryTheirNamesAndDirections()
    {
        var metric = new SegmentationMetric(3);
        metric.Update(SegPredictions, SegLabels);
        var depth = new DepthMetric();
        depth.Update([1.0], [1.0]);
        Assert.Equal([("miou", true), ("pixel_accuracy", true)], metric.Compute().Select(m => (m.Name, m.HigherIsBetter)));
        Assert.Equal(["abs_err", "rel_err", "rmse", "delta1", "delta2", "delta3"], depth.Compute().Select(m => m.Name));
        Assert.Equal([false, false, false, true, true, true], depth.Compute().Select(m => m.HigherIsBetter));
    }
}
