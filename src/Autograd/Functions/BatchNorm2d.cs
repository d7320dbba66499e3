using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl;

public static partial class F
{
    /// <summary>Batch norm of NCHW x (torch.nn.functional.batch_norm). In training it normalizes with the batch
    /// statistics and updates runningMean/runningVar in place; in evaluation it uses them.</summary>
    public static Tensor BatchNorm2d(Tensor x, Tensor gamma, Tensor beta, Tensor runningMean, Tensor runningVar,
        bool training, double momentum = 0.1, double eps = 1e-5)
    {
        if (training)
        {
            var (y, mean, invStd) = Ops.BatchNorm2dTraining(x, gamma, beta, runningMean, runningVar, momentum, eps);
            return Autograd.Record("BatchNorm2d", y, [x, gamma, beta], (gy, _) =>
            {
                var (gx, ggamma, gbeta) = Ops.BatchNorm2dBackward(x, gy, gamma, mean, invStd);
                return [gx, ggamma, gbeta];
            });
        }
        var yEval = Ops.BatchNorm2dInference(x, gamma, beta, runningMean, runningVar, eps);
        return Autograd.Record("BatchNorm2d", yEval, [x, gamma, beta], (gy, need) =>
        {
            int c = x.Shape[1];
            var invStd = Ops.Reshape(Ops.Unary(UnaryOp.Reciprocal, Ops.Unary(UnaryOp.Sqrt, Ops.MulAdd(runningVar, 1, eps))), 1, c, 1, 1);
            var xHat = Ops.Mul(Ops.Sub(x, Ops.Reshape(runningMean, 1, c, 1, 1)), invStd);
            return
            [
                need[0] ? Ops.Mul(gy, Ops.Mul(invStd, Ops.Reshape(gamma, 1, c, 1, 1))) : null,
                need[1] ? Ops.Sum(Ops.Mul(gy, xHat), 0, 2, 3) : null,
                need[2] ? Ops.Sum(gy, 0, 2, 3) : null,
            ];
        });
    }
}
