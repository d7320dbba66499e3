using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl;

public static partial class F
{
    public static Tensor Softmax(Tensor x, int axis) => SoftmaxFamily(x, axis, log: false);

    public static Tensor LogSoftmax(Tensor x, int axis) => SoftmaxFamily(x, axis, log: true);

    /// <summary>Both rules read only the output (the probabilities or their logarithms).</summary>
    private static Tensor SoftmaxFamily(Tensor x, int axis, bool log)
    {
        var y = Ops.Softmax(x, axis, log);
        return Autograd.Record(log ? "LogSoftmax" : "Softmax", y, [x], [y], (gy, s, _) => [Ops.SoftmaxBackward(s[0]!, gy, axis, log)], t =>
        {
            // softmax: p ⊙ (t − Σ p·t); log-softmax: t − Σ p·t, with p = e^y.
            var p = log ? Ops.Unary(UnaryOp.Exp, y) : y;
            var centred = Ops.Sub(t[0]!, Ops.Reduce(ReduceOp.Sum, Ops.Mul(p, t[0]!), [axis], keepDims: true));
            return log ? centred : Ops.Mul(p, centred);
        });
    }
}
