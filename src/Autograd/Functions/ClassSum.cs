using NativeMtl.Raw;

namespace NativeMtl;

public static partial class F
{
    /// <summary>[C]: entry c sums the values whose Int32 label is c (labels outside [0, C) count for no class), in one
    /// pass whatever C is. Its gradient gathers the output gradient by label; its tangent is the tangent summed by class.
    /// Saves the labels only.</summary>
    public static Tensor ClassSum(Tensor values, Tensor labels, int classes) =>
        Autograd.Record("ClassSum", Ops.ClassSum(values, labels, classes), [values], [labels], (gy, s, _) => [Ops.ClassGather(gy, s[0]!)],
            t => Ops.ClassSum(t[0]!, labels, classes));
}
