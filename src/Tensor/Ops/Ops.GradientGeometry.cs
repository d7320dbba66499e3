namespace NativeMtl.Raw;

public static partial class Ops
{
    /// <summary>The K×K Gram matrix of the rows of a K×P gradient matrix (squared norms on the diagonal).</summary>
    public static Tensor GradientGram(Tensor g)
    {
        RankIs("GradientGram", g, 2, "[K, P]");
        FloatingPoint("GradientGram", g);
        using var gd = Dense(g);
        var gram = Tensors.Empty(new Shape(g.Shape[0], g.Shape[0]), g.DType, g.Device);
        g.Backend.GradientGram(gd.Ref, gram.Ref);
        return gram;
    }

    /// <summary>Σ_k coefficients[k]·g[k] for a K×P gradient matrix and K device coefficients: a [P] vector.</summary>
    public static Tensor GradientCombine(Tensor g, Tensor coefficients)
    {
        RankIs("GradientCombine", g, 2, "[K, P]");
        SameDevice("GradientCombine", g, coefficients);
        SameDType("GradientCombine", g, coefficients);
        if (coefficients.Shape != new Shape(g.Shape[0]))
            throw new ShapeException("GradientCombine", $"coefficients {coefficients.Shape} do not match {g.Shape[0]} gradient rows of {g.Shape}");
        using var gd = Dense(g);
        using var cd = Dense(coefficients);
        var y = Tensors.Empty(new Shape(g.Shape[1]), g.DType, g.Device);
        g.Backend.GradientCombine(gd.Ref, cd.Ref, y.Ref);
        return y;
    }

    /// <summary>Σ mask·|pred − target| / max(Σ mask, 1) and its derivative with respect to pred, from one fused
    /// kernel; the mask broadcasts to pred's shape.</summary>
    public static (Tensor Loss, Tensor Gradient) MaskedL1(Tensor pred, Tensor target, Tensor mask)
    {
        const string op = "MaskedL1";
        FloatingPoint(op, pred);
        SameDevice(op, pred, target);
        SameDevice(op, pred, mask);
        SameDType(op, pred, target);
        SameDType(op, pred, mask);
        if (target.Shape != pred.Shape) throw new ShapeException(op, $"target {target.Shape} differs from prediction {pred.Shape}");
        using var pd = Dense(pred);
        using var td = Dense(target);
        using var md = mask.Shape == pred.Shape ? Dense(mask) : Contiguous(BroadcastTo(mask, pred.Shape)).DetachFromScope();
        var loss = Tensors.Empty(Shape.Scalar, pred.DType, pred.Device);
        var gradient = Tensors.Empty(pred.Shape, pred.DType, pred.Device);
        pred.Backend.MaskedL1(pd.Ref, td.Ref, md.Ref, loss.Ref, gradient.Ref);
        return (loss, gradient);
    }
}
