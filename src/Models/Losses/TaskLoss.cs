using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Models;

/// <summary>
/// The loss of one dense task. Subclasses define it per pixel; the mean and the per-class breakdown follow.
/// Predictions are [N, C, *]; an optional mask [N, *] or [N, 1, *] (pixels with a positive value count)
/// further restricts the pixels that count, e.g. to an object's foreground.
/// </summary>
public abstract class TaskLoss
{
    /// <summary>The per-pixel loss [N, *] and the pixels that count.</summary>
    public abstract PixelLoss PerPixel(Tensor prediction, Tensor target, Tensor? mask = null);

    /// <summary>The mean loss over the pixels that count (0 when none do): the scalar a training step uses.</summary>
    public virtual Tensor Forward(Tensor prediction, Tensor target, Tensor? mask = null) => PerPixel(prediction, target, mask).Mean();

    /// <summary>[C] per-class losses over the classes of <paramref name="classMap"/> (see <see cref="PixelLoss.PerClass"/>).</summary>
    public Tensor PerClass(Tensor prediction, Tensor target, Tensor classMap, int classes, Tensor? mask = null) =>
        PerPixel(prediction, target, mask).PerClass(classMap, classes);

    /// <summary>A 0/1 map [N, *] of the mask's positive pixels, in the prediction's dtype.</summary>
    protected static Tensor PixelMask(string op, Tensor mask, Shape pixelShape, DType dtype)
    {
        Tensor pixels = mask;
        if (mask.Rank == pixelShape.Rank + 1 && mask.Rank >= 2 && mask.Shape[1] == 1) pixels = Ops.Squeeze(mask, 1);
        if (pixels.Shape != pixelShape)
            throw new ShapeException(op, $"mask {mask.Shape} fits neither the pixels {pixelShape} nor one channel of them");
        var values = pixels.DType == dtype ? pixels : Ops.Cast(pixels, dtype);
        return Ops.Binary(BinaryOp.Greater, values, Zero(dtype, mask.Device));
    }

    /// <summary>The pixel shape [N, *] of a prediction [N, C, *].</summary>
    protected static Shape PixelShape(string op, Tensor prediction)
    {
        if (prediction.Rank < 2) throw new ShapeException(op, $"expects a prediction [N, C, *], got {prediction.Shape}");
        return new Shape(prediction.Shape.ToArray().Where((_, axis) => axis != 1).ToArray());
    }

    protected static Tensor Zero(DType dtype, Device device) => Tensors.Zeros(Shape.Scalar, dtype, device);

    /// <summary>Restricts a per-pixel loss to the mask's pixels, when there is a mask.</summary>
    protected static PixelLoss Restrict(string op, Tensor loss, Tensor valid, Tensor? mask)
    {
        if (mask is null) return new PixelLoss(loss, valid);
        var keep = PixelMask(op, mask, loss.Shape, loss.DType);
        return new PixelLoss(F.Mul(loss, keep), Ops.Mul(valid, keep));
    }
}

/// <summary>
/// Cross-entropy of logits [N, C, *] against Int32 labels [N, *]; pixels labelled <see cref="IgnoreIndex"/> do
/// not count. The default ignore index is −1, the mark of unlabelled pixels in MTAN-format data (MTAN and
/// LibMTL pass ignore_index=-1); <see cref="F.CrossEntropy"/> keeps PyTorch's −100.
/// </summary>
public sealed class CrossEntropyLoss(int ignoreIndex = -1) : TaskLoss
{
    public int IgnoreIndex { get; } = ignoreIndex;

    public override PixelLoss PerPixel(Tensor prediction, Tensor target, Tensor? mask = null)
    {
        var (loss, valid) = F.NllLoss(F.LogSoftmax(prediction, 1), target, IgnoreIndex);
        return Restrict(nameof(CrossEntropyLoss), loss, valid, mask);
    }
}

/// <summary>
/// L1 distance of predictions [N, C, *] to targets of the same shape, averaged over channels at each pixel.
/// Without a mask, a pixel counts where its single-channel target is positive (depth: 0 marks a missing
/// value). Targets that may be zero or negative (Δdepth, curvature, reconstruction) come with a mask, which
/// then decides alone which pixels count. With one channel the mean equals LibMTL's and MTAN's depth loss.
/// </summary>
public sealed class MaskedL1Loss : TaskLoss
{
    public override PixelLoss PerPixel(Tensor prediction, Tensor target, Tensor? mask = null)
    {
        var valid = Valid(prediction, target, mask);
        var perPixel = F.Mean(F.Abs(F.Sub(prediction, target)), [1]);
        return new PixelLoss(F.Mul(perPixel, valid), valid);
    }

    /// <summary>The same mean through the fused masked-L1 kernel: Σ over pixels and channels of valid·|p − t| over
    /// C·Σ valid equals the mean over valid pixels of the channel mean. One pass gives the loss and its gradient,
    /// and the gradient is all the graph keeps.</summary>
    public override Tensor Forward(Tensor prediction, Tensor target, Tensor? mask = null)
    {
        using var valid = Valid(prediction, target, mask);
        using var perChannel = Ops.Unsqueeze(valid, 1);
        return F.MaskedL1(prediction, target, perChannel);
    }

    /// <summary>A 0/1 map [N, *] of the pixels that count.</summary>
    private static Tensor Valid(Tensor prediction, Tensor target, Tensor? mask)
    {
        const string op = nameof(MaskedL1Loss);
        var pixels = PixelShape(op, prediction);
        if (target.Shape != prediction.Shape) throw new ShapeException(op, $"target {target.Shape} differs from prediction {prediction.Shape}");
        if (mask is not null) return PixelMask(op, mask, pixels, prediction.DType);
        if (prediction.Shape[1] == 1) return Ops.Binary(BinaryOp.Greater, Ops.Squeeze(target, 1), Zero(target.DType, target.Device));
        throw new ShapeException(op, $"a {prediction.Shape[1]}-channel target {target.Shape} needs a mask (target > 0 marks valid single-channel depth only)");
    }
}

/// <summary>
/// 1 − cos(prediction, target) along the channels of [N, 3, *] normals, at the pixels whose target is not
/// all zero (MTAN-format data marks missing normals so). The prediction need not be unit length; for unit
/// targets this is MTAN's and LibMTL's normal loss, which normalize the prediction first.
/// </summary>
public sealed class NormalCosineLoss : TaskLoss
{
    public override PixelLoss PerPixel(Tensor prediction, Tensor target, Tensor? mask = null)
    {
        const string op = nameof(NormalCosineLoss);
        PixelShape(op, prediction);
        if (target.Shape != prediction.Shape) throw new ShapeException(op, $"target {target.Shape} differs from prediction {prediction.Shape}");
        var valid = Ops.Binary(BinaryOp.Greater, Ops.Sum(Ops.Unary(UnaryOp.Abs, target), 1), Zero(target.DType, target.Device));
        var loss = F.Mul(F.MulAdd(F.CosineSimilarity(prediction, target, 1), -1, 1), valid);
        return Restrict(op, loss, valid, mask);
    }
}

/// <summary>
/// The main task of the pose crops (seed 000): a prediction [N, 5, *] of the object's coordinates (channels 0–2) and
/// its mask's two logits (3–4), against a target [N, 4, *] of the true coordinates and the true mask (0/1). The loss
/// is the coordinates' L1 over the true mask's pixels plus the mask's cross-entropy over every pixel, each a mean of
/// its own pixels. Per pixel (the per-class split), each pixel holds its cross-entropy plus, on the mask, its L1, and
/// every pixel counts.
/// </summary>
public sealed class PoseLoss : TaskLoss
{
    private static readonly MaskedL1Loss Coordinates = new();
    private static readonly CrossEntropyLoss Mask = new();

    /// <summary>The target of a batch: the object coordinates [N, 3, *] and the mask [N, *] (Int32 0/1) as [N, 4, *].</summary>
    public static Tensor Target(Tensor coordinates, Tensor mask) =>
        Ops.Concat(1, coordinates, Ops.Cast(Ops.Unsqueeze(mask, 1), coordinates.DType));

    public override PixelLoss PerPixel(Tensor prediction, Tensor target, Tensor? mask = null)
    {
        var (coordinates, logits, trueCoordinates, labels) = Split(prediction, target);
        var l1 = Coordinates.PerPixel(coordinates, trueCoordinates, labels);
        var ce = Mask.PerPixel(logits, labels);
        return new PixelLoss(F.Add(l1.Loss, ce.Loss), ce.Valid);
    }

    public override Tensor Forward(Tensor prediction, Tensor target, Tensor? mask = null)
    {
        var (coordinates, logits, trueCoordinates, labels) = Split(prediction, target);
        return F.Add(Coordinates.Forward(coordinates, trueCoordinates, labels), Mask.Forward(logits, labels));
    }

    private static (Tensor, Tensor, Tensor, Tensor) Split(Tensor prediction, Tensor target)
    {
        if (prediction.Rank < 2 || prediction.Shape[1] != 5 || target.Rank != prediction.Rank || target.Shape[1] != 4)
            throw new ShapeException(nameof(PoseLoss), $"expects a prediction [N, 5, *] and a target [N, 4, *], got {prediction.Shape} and {target.Shape}");
        var labels = Ops.Cast(Ops.Squeeze(Ops.Slice(target, 1, 3, 4), 1), DType.Int32);
        return (F.Slice(prediction, 1, 0, 3), F.Slice(prediction, 1, 3, 5), Ops.Contiguous(Ops.Slice(target, 1, 0, 3)), labels);
    }
}
