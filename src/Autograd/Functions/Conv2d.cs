using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl;

public static partial class F
{
    /// <summary>2-d convolution of NCHW x with weights [K, C/groups, R, S] and an optional bias [K]. Saves its input
    /// only when the weights need a gradient and the weights only when the input does; never its output.</summary>
    public static Tensor Conv2d(Tensor x, Tensor w, Tensor? bias = null, Conv2dGeometry? geometry = null)
    {
        var g = geometry ?? new Conv2dGeometry();
        Shape xShape = x.Shape, wShape = w.Shape;
        var y = Ops.Conv2d(x, w, bias, g);
        Tensor[] inputs = bias is null ? [x, w] : [x, w, bias];
        return Autograd.Record("Conv2d", y, inputs, [Autograd.NeedsGradient(w) ? x : null, Autograd.NeedsGradient(x) ? w : null], (gy, s, need) =>
        [
            need[0] ? Ops.Conv2dBackwardData(gy, s[1]!, xShape, g) : null,
            need[1] ? Ops.Conv2dBackwardFilter(s[0]!, gy, wShape, g) : null,
            .. bias is null ? Array.Empty<Tensor?>() : [need[2] ? Ops.Sum(gy, 0, 2, 3) : null],
        ], t => Tangents.Sum(y.Shape,
            // Linear in each argument: the convolution of x's tangent, of the weights' tangent, and the bias tangent per channel.
            Tangents.Map(t[0], tx => Ops.Conv2d(tx, w, null, g)),
            Tangents.Map(t[1], tw => Ops.Conv2d(x, tw, null, g)),
            bias is null ? null : Tangents.Map(t[2], tb => Ops.Reshape(tb, 1, -1, 1, 1))),
            g.Groups == 1 ? (gys, s, need) => StackedConv2dBackward(gys, s, need, xShape, wShape, g) : null);
    }

    /// <summary>m output gradients [m, N, K, P, Q] in one call per input: stacked along the batch axis for the input's
    /// gradients (a convolution's data gradient treats samples alike), and along the output channels for the weights'
    /// (m·K filters against the same input give the m tasks' weight gradients side by side). Ungrouped only: grouping
    /// would split the stacked channels across groups.</summary>
    private static Tensor?[] StackedConv2dBackward(Tensor gys, IReadOnlyList<Tensor?> s, bool[] need, Shape xShape, Shape wShape, Conv2dGeometry g)
    {
        int m = gys.Shape[0], n = gys.Shape[1], k = gys.Shape[2], p = gys.Shape[3], q = gys.Shape[4];
        return
        [
            need[0] ? Ops.Reshape(Ops.Conv2dBackwardData(Ops.Reshape(gys, m * n, k, p, q), s[1]!, new Shape([m * n, .. xShape.ToArray()[1..]]), g), [m, .. xShape.ToArray()]) : null,
            need[1] ? Ops.Reshape(Ops.Conv2dBackwardFilter(s[0]!, Ops.Reshape(Ops.Permute(gys, 1, 0, 2, 3, 4), n, m * k, p, q), new Shape([m * k, .. wShape.ToArray()[1..]]), g), [m, .. wShape.ToArray()]) : null,
            .. need.Length == 3 ? [need[2] ? Ops.Sum(gys, 1, 3, 4) : null] : Array.Empty<Tensor?>(),
        ];
    }
}
