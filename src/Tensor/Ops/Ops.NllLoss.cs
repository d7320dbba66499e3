namespace NativeMtl.Raw;

public static partial class Ops
{
    /// <summary>Per-position negative log-likelihood of Int32 targets [N, *] under log-probabilities [N, C, *],
    /// with a 0/1 mask of the positions that count (target ≠ ignoreIndex).</summary>
    public static (Tensor Loss, Tensor Valid) NllLoss(Tensor logProbs, Tensor target, int ignoreIndex)
    {
        var lossShape = NllTargetShape(logProbs, target);
        using var lp = Dense(logProbs);
        using var td = Dense(target);
        var loss = Tensors.Empty(lossShape, logProbs.DType, logProbs.Device);
        var valid = Tensors.Empty(lossShape, logProbs.DType, logProbs.Device);
        try
        {
            logProbs.Backend.NllLoss(lp.Ref, td.Ref, ignoreIndex, loss.Ref, valid.Ref);
        }
        catch
        {
            // The CPU backend rejects out-of-range targets; nothing half-made outlives the error.
            loss.Dispose();
            valid.Dispose();
            throw;
        }
        return (loss, valid);
    }

    public static Tensor NllLossBackward(Tensor gLoss, Tensor target, int ignoreIndex, Shape logProbsShape)
    {
        if (gLoss.Shape != target.Shape) throw new ShapeException("NllLossBackward", $"gradient {gLoss.Shape} differs from target {target.Shape}");
        using var gd = Dense(gLoss);
        using var td = Dense(target);
        if (logProbsShape.Rank < 2 || new Shape(logProbsShape.ToArray().Where((_, i) => i != 1).ToArray()) != target.Shape)
            throw new ShapeException("NllLossBackward", $"targets {target.Shape} do not match scores {logProbsShape}");
        var g = Tensors.Empty(logProbsShape, gLoss.DType, gLoss.Device);
        try
        {
            gLoss.Backend.NllLossBackward(gd.Ref, td.Ref, ignoreIndex, g.Ref);
        }
        catch
        {
            g.Dispose();
            throw;
        }
        return g;
    }

    private static Shape NllTargetShape(Tensor logProbs, Tensor target)
    {
        const string op = "NllLoss";
        FloatingPoint(op, logProbs);
        SameDevice(op, logProbs, target);
        if (target.DType != DType.Int32) throw new ArgumentException($"{op}: targets must be Int32, not {target.DType}");
        var expected = logProbs.Shape.ToArray().Where((_, i) => i != 1).ToArray();
        if (logProbs.Rank < 2 || target.Shape != new Shape(expected))
            throw new ShapeException(op, $"targets {target.Shape} do not match scores {logProbs.Shape} (expected [N, C, *] and [N, *])");
        return target.Shape;
    }
}
