using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl;

public static partial class F
{
    /// <summary>PyTorch's default ignore index for classification targets.</summary>
    public const int DefaultIgnoreIndex = -100;

    /// <summary>Per-position −logProbs[target] for scores [N, C, *] and Int32 targets [N, *], and a 0/1 mask of
    /// the positions that count; ignored positions give 0 in both.</summary>
    public static (Tensor Loss, Tensor Valid) NllLoss(Tensor logProbs, Tensor target, int ignoreIndex = DefaultIgnoreIndex)
    {
        var (loss, valid) = Ops.NllLoss(logProbs, target, ignoreIndex);
        var shape = logProbs.Shape;
        var recorded = Autograd.Record("NllLoss", loss, [logProbs], [target], (gy, s, _) =>
            [Ops.NllLossBackward(gy, s[0]!, ignoreIndex, shape)], t =>
            {
                // The loss picks −logProbs[target]: its tangent picks −tangent[target], which the same kernel does.
                var (picked, counted) = Ops.NllLoss(t[0]!, target, ignoreIndex);
                counted.Dispose();
                return picked;
            });
        return (recorded, valid);
    }

    /// <summary>Mean cross-entropy of logits [N, C, *] against Int32 targets [N, *] over the positions whose
    /// target is not <paramref name="ignoreIndex"/>. When every position is ignored the loss is 0 (PyTorch gives
    /// NaN), so a batch without labels contributes nothing instead of poisoning the step.</summary>
    public static Tensor CrossEntropy(Tensor logits, Tensor target, int ignoreIndex = DefaultIgnoreIndex) =>
        DisposeScope.Run(() =>
        {
            var (loss, valid) = NllLoss(LogSoftmax(logits, 1), target, ignoreIndex);
            return Div(Sum(loss), CountAtLeastOne(valid));
        });

    /// <summary>Σ mask·|pred − target| / Σ mask; 0 when the mask is empty. The mask broadcasts over pred and the
    /// divisor counts every element it covers after broadcasting: a [N,1,H,W] mask of a 3-channel pred counts each
    /// valid pixel three times, so the loss is the mean over valid values (MTAN's depth and normal losses divide by
    /// valid values alike). One fused kernel computes the loss and its gradient. The target gets the opposite of
    /// pred's gradient when it requires one (d|p − t|/dt = −sign(p − t)); the mask is a selection and gets none.</summary>
    public static Tensor MaskedL1(Tensor pred, Tensor target, Tensor mask)
    {
        if (mask.RequiresGrad) throw new ArgumentException("MaskedL1: the mask selects values and has no gradient; pass it detached");
        var (loss, gradient) = Ops.MaskedL1(pred, target, mask);
        using (gradient)
            return Autograd.Record("MaskedL1", loss, [pred, target], [gradient],
                (gy, s, needs) => [needs[0] ? Ops.Mul(s[0]!, gy) : null, needs[1] ? Ops.MulAdd(Ops.Mul(s[0]!, gy), -1) : null],
                t => Ops.Reduce(ReduceOp.Sum, t[1] is null ? Ops.Mul(gradient, t[0]!) : Ops.Mul(gradient, t[0] is null ? Ops.MulAdd(t[1]!, -1) : Ops.Sub(t[0]!, t[1]!)), []));
    }

    /// <summary>Cosine of the angle between a and b along <paramref name="axis"/> (channels by default), with each
    /// norm clamped below at eps as torch.nn.functional.cosine_similarity does.</summary>
    public static Tensor CosineSimilarity(Tensor a, Tensor b, int axis = 1, double eps = 1e-8) =>
        DisposeScope.Run(() =>
        {
            var dot = Sum(Mul(a, b), [axis]);
            var norms = Mul(Clamp(Norm(a, [axis]), eps), Clamp(Norm(b, [axis]), eps));
            return Div(dot, norms);
        });

    /// <summary>max(Σ weights, 1) as a constant: the divisor of a masked mean.</summary>
    private static Tensor CountAtLeastOne(Tensor weights) =>
        Ops.Scalar(ScalarOp.Clamp, Ops.Sum(weights), 1, double.PositiveInfinity);
}
