using NativeMtl.Raw;

namespace NativeMtl.Models;

/// <summary>
/// Mean IoU and pixel accuracy from a confusion matrix over every labelled pixel of an evaluation (MTAN's and
/// LibMTL's ConfMatrix). Pixels labelled with the ignore index count nowhere. A class absent from both the
/// labels and the predictions has no IoU (0/0) and is left out of the mean, as MTAN's original per-image
/// compute_miou skips it; MTAN's later ConfMatrix and LibMTL take torch.mean over all classes, which gives the
/// same value when every class occurs and NaN otherwise. A label outside [0, C) that is not the ignore index
/// is refused (LibMTL drops such pixels silently): it usually means the data marks unlabelled pixels with
/// another value than the configured ignore index.
/// </summary>
public sealed class SegmentationMetric : ITaskMetric
{
    private readonly long[] _confusion;

    public SegmentationMetric(int classes, int ignoreIndex = -1)
    {
        if (classes < 1) throw new ArgumentException($"SegmentationMetric: needs at least one class, not {classes}");
        Classes = classes;
        IgnoreIndex = ignoreIndex;
        _confusion = new long[classes * classes];
    }

    public int Classes { get; }

    public int IgnoreIndex { get; }

    /// <summary>Pixels labelled <paramref name="target"/> and predicted as <paramref name="predicted"/>.</summary>
    public long Confusion(int target, int predicted) => _confusion[target * Classes + predicted];

    /// <summary>Adds a batch: scores [N, C, *] (the predicted class is their argmax over C) or Int32 predicted
    /// labels [N, *], against Int32 labels [N, *].</summary>
    public void Update(Tensor prediction, Tensor target)
    {
        const string op = nameof(SegmentationMetric);
        if (target.DType != DType.Int32) throw new ArgumentException($"{op}: labels must be Int32, not {target.DType}");
        if (prediction.DType == DType.Int32)
        {
            if (prediction.Shape != target.Shape) throw new ShapeException(op, $"predicted labels {prediction.Shape} differ from labels {target.Shape}");
            Update(prediction.ToArray<int>(), target.ToArray<int>());
            return;
        }
        if (prediction.Rank < 2 || prediction.Shape[1] != Classes)
            throw new ShapeException(op, $"expects scores [N, {Classes}, *], got {prediction.Shape}");
        using var predicted = Ops.ArgMax(prediction, 1).DetachFromScope();
        if (predicted.Shape != target.Shape) throw new ShapeException(op, $"labels {target.Shape} do not match scores {prediction.Shape}");
        Update(predicted.ToArray<int>(), target.ToArray<int>());
    }

    /// <summary>Adds a batch of predicted and true labels given on the host. Every label is checked before any
    /// is counted, so a bad batch leaves the matrix as it was.</summary>
    public void Update(ReadOnlySpan<int> predicted, ReadOnlySpan<int> target)
    {
        const string op = nameof(SegmentationMetric);
        if (predicted.Length != target.Length) throw new ArgumentException($"{op}: {predicted.Length} predictions for {target.Length} labels");
        for (int i = 0; i < target.Length; i++)
        {
            if (target[i] == IgnoreIndex) continue;
            if ((uint)target[i] >= (uint)Classes)
                throw new ArgumentException($"{op}: label {target[i]} at pixel {i} is outside [0, {Classes}) and is not the ignore index {IgnoreIndex}");
            if ((uint)predicted[i] >= (uint)Classes)
                throw new ArgumentException($"{op}: predicted label {predicted[i]} at pixel {i} is outside [0, {Classes})");
        }
        for (int i = 0; i < target.Length; i++)
            if (target[i] != IgnoreIndex) _confusion[target[i] * Classes + predicted[i]]++;
    }

    /// <summary>TP / (TP + FP + FN) of class c; NaN for a class absent from both labels and predictions.</summary>
    public double IoU(int c)
    {
        long truePositive = Confusion(c, c), labelled = 0, predicted = 0;
        for (int k = 0; k < Classes; k++)
        {
            labelled += Confusion(c, k);
            predicted += Confusion(k, c);
        }
        long union = labelled + predicted - truePositive;
        return union == 0 ? double.NaN : (double)truePositive / union;
    }

    /// <summary>The mean IoU over the classes that occur in the labels or the predictions.</summary>
    public double MeanIoU
    {
        get
        {
            RequirePixels();
            return Enumerable.Range(0, Classes).Select(IoU).Where(v => !double.IsNaN(v)).Average();
        }
    }

    /// <summary>The fraction of labelled pixels predicted correctly.</summary>
    public double PixelAccuracy
    {
        get
        {
            RequirePixels();
            long correct = 0;
            for (int c = 0; c < Classes; c++) correct += Confusion(c, c);
            return (double)correct / _confusion.Sum();
        }
    }

    public IReadOnlyList<MetricValue> Compute() =>
        [MetricValue.Of("miou", MeanIoU), MetricValue.Of("pixel_accuracy", PixelAccuracy)];

    public void Reset() => Array.Clear(_confusion);

    private void RequirePixels()
    {
        if (_confusion.All(n => n == 0)) throw new InvalidOperationException("SegmentationMetric: no labelled pixel has been seen");
    }
}
