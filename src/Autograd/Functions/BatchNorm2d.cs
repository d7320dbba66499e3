using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl;

public static partial class F
{
    /// <summary>Batch norm of NCHW x (torch.nn.functional.batch_norm). In training it normalizes with the batch
    /// statistics and updates runningMean/runningVar in place; in evaluation it uses them. Training saves the input,
    /// γ and the per-channel batch mean and 1/σ, as cuDNN's backward pass reads them; never its output. In forward
    /// mode the tangent passes through the batch statistics too.</summary>
    public static Tensor BatchNorm2d(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
        bool training, double momentum = 0.1, double eps = 1e-5)
    {
        int c = x.Shape[1];
        Tensor PerChannel(Tensor v) => Ops.Reshape(v, 1, c, 1, 1);
        if (training)
        {
            var (y, mean, invStd) = Ops.BatchNorm2dTraining(x, gamma, beta, runningMean, runningVar, momentum, eps);
            using (mean)
            using (invStd)
                return Autograd.Record("BatchNorm2d", y, [x, gamma, beta], [x, gamma, mean, invStd], (gy, s, _) =>
                {
                    var (gx, ggamma, gbeta) = Ops.BatchNorm2dBackward(s[0]!, gy, s[1]!, s[2]!, s[3]!);
                    return [gx, ggamma, gbeta];
                }, t =>
                {
                    // Per channel, x ↦ γ·x̂(x) has a symmetric Jacobian, γ/σ·(I − 11ᵀ/m − x̂x̂ᵀ/m): its product with x's
                    // tangent is what the backward kernel computes for a gradient. Then x̂·t_γ + t_β.
                    Tensor? tangent = null;
                    if (t[0] is { } tx)
                    {
                        var (gx, ggamma, gbeta) = Ops.BatchNorm2dBackward(x, tx, gamma, mean, invStd);
                        ggamma.Dispose();
                        gbeta.Dispose();
                        tangent = gx;
                    }
                    if (t[1] is { } tg)
                    {
                        var term = Ops.Sub(x, PerChannel(mean));
                        Ops.MulInto(term, PerChannel(Ops.Mul(invStd, tg)));
                        if (tangent is null) tangent = term;
                        else
                            using (term) Ops.AddInto(tangent, term);
                    }
                    return Tangents.Sum(x.Shape, tangent, Tangents.Map(t[2], PerChannel));
                });
        }
        var yEval = Ops.BatchNorm2dInference(x, gamma, beta, runningMean, runningVar, eps);
        Tensor InvStd(Tensor variance) => PerChannel(Ops.Unary(UnaryOp.Reciprocal, Ops.Unary(UnaryOp.Sqrt, Ops.MulAdd(variance, 1, eps))));
        Tensor XHat(Tensor input, Tensor mu, Tensor variance) => Ops.Mul(Ops.Sub(input, PerChannel(mu)), InvStd(variance));
        // The running statistics are read when the rule runs; they change only in training mode.
        return Autograd.Record("BatchNorm2d", yEval, [x, gamma, beta],
            [Autograd.NeedsGradient(gamma) ? x : null, gamma, runningMean, runningVar], (gy, s, need) =>
            [
                need[0] ? Ops.Mul(gy, Ops.Mul(InvStd(s[3]!), PerChannel(s[1]!))) : null,
                need[1] ? Ops.Sum(Ops.Mul(gy, XHat(s[0]!, s[2]!, s[3]!)), 0, 2, 3) : null,
                need[2] ? Ops.Sum(gy, 0, 2, 3) : null,
            ], t => Tangents.Sum(x.Shape,
                Tangents.Map(t[0], tx => Ops.Mul(tx, Ops.Mul(InvStd(runningVar), PerChannel(gamma)))),
                Tangents.Map(t[1], tg => Ops.Mul(XHat(x, runningMean, runningVar), PerChannel(tg))),
                Tangents.Map(t[2], PerChannel)));
    }
}
