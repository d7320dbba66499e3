using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl;

public static partial class F
{
    /// <summary>Batch norm of NCHW x (torch.nn.functional.batch_norm). In training it normalizes with the batch
    /// statistics and updates runningMean/runningVar in place; in evaluation it uses them. Training saves the input,
    /// γ and the per-channel batch mean and 1/σ, as cuDNN's backward pass reads them; never its output.</summary>
    public static Tensor BatchNorm2d(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
        bool training, double momentum = 0.1, double eps = 1e-5)
    {
        if (training)
        {
            var (y, mean, invStd) = Ops.BatchNorm2dTraining(x, gamma, beta, runningMean, runningVar, momentum, eps);
            using (mean)
            using (invStd)
                return Autograd.Record("BatchNorm2d", y, [x, gamma, beta], [x, gamma, mean, invStd], (gy, s, _) =>
                {
                    var (gx, ggamma, gbeta) = Ops.BatchNorm2dBackward(s[0]!, gy, s[1]!, s[2]!, s[3]!);
                    return [gx, ggamma, gbeta];
                });
        }
        int c = x.Shape[1];
        var yEval = Ops.BatchNorm2dInference(x, gamma, beta, runningMean, runningVar, eps);
        // The running statistics are read when the rule runs; they change only in training mode.
        return Autograd.Record("BatchNorm2d", yEval, [x, gamma, beta],
            [Autograd.NeedsGradient(gamma) ? x : null, gamma, runningMean, runningVar], (gy, s, need) =>
            {
                var invStd = Ops.Reshape(Ops.Unary(UnaryOp.Reciprocal, Ops.Unary(UnaryOp.Sqrt, Ops.MulAdd(s[3]!, 1, eps))), 1, c, 1, 1);
                return
                [
                    need[0] ? Ops.Mul(gy, Ops.Mul(invStd, Ops.Reshape(s[1]!, 1, c, 1, 1))) : null,
                    need[1] ? Ops.Sum(Ops.Mul(gy, Ops.Mul(Ops.Sub(s[0]!, Ops.Reshape(s[2]!, 1, c, 1, 1)), invStd)), 0, 2, 3) : null,
                    need[2] ? Ops.Sum(gy, 0, 2, 3) : null,
                ];
            });
    }
}
