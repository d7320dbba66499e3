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
        return Autograd.Record(log ? "LogSoftmax" : "Softmax", y, [x], [y], (gy, s, _) => [Ops.SoftmaxBackward(s[0]!, gy, axis, log)]);
    }
}
