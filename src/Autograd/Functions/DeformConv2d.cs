using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl;

public static partial class F
{
    /// <summary>Deformable convolution v1 (Dai et al. 2017; torchvision.ops.deform_conv2d with one offset group, no
    /// mask) of NCHW x with learned offsets [N, 2·R·S, P, Q], weights [K, C, R, S] and an optional bias [K]: tap
    /// k = r·S + s of output position (p, q) reads x by bilinear interpolation at its place in an ordinary convolution
    /// (<paramref name="geometry"/>: stride, padding, dilation; one group) moved by (offset[n, 2k, p, q],
    /// offset[n, 2k + 1, p, q]), a corner outside the image counting as 0. Output [N, K, P, Q].
    /// <para>Backward: the weights' transpose takes the output gradient to the columns' gradient, which the sampling's
    /// two adjoints take to x and to the offsets; the weights' gradient is the output gradient times the columns,
    /// computed again from x and the offsets rather than saved (they are R·S times x's size). So it saves x and the
    /// offsets (x only when the offsets or weights need a gradient) and the weights (only when x or the offsets do).</para>
    /// <para>Forward mode: linear in x, the weights and the bias; along the offsets, the columns move with the sample's
    /// derivatives along y and x.</para></summary>
    public static Tensor DeformConv2d(Tensor x, Tensor offset, Tensor w, Tensor? bias = null, Conv2dGeometry? geometry = null)
    {
        var g = geometry ?? new Conv2dGeometry();
        var y = Ops.DeformConv2d(x, offset, w, bias, g);
        var window = DeformWindow.Of(w.Shape[2], w.Shape[3], g);
        Shape xShape = x.Shape, wShape = w.Shape;
        int p = y.Shape[2], q = y.Shape[3];
        bool xNeeds = Autograd.NeedsGradient(x), offsetNeeds = Autograd.NeedsGradient(offset), wNeeds = Autograd.NeedsGradient(w);
        Tensor[] inputs = bias is null ? [x, offset, w] : [x, offset, w, bias];
        Tensor?[] saved = [offsetNeeds || wNeeds ? x : null, xNeeds || offsetNeeds || wNeeds ? offset : null, xNeeds || offsetNeeds ? w : null];
        return Autograd.Record("DeformConv2d", y, inputs, saved, (gy, s, need) =>
        {
            var gyColumns = Ops.Reshape(gy, gy.Shape[0], gy.Shape[1], -1);
            var gColumns = need[0] || need[1] ? Ops.Matmul(Ops.Transpose(Ops.Reshape(s[2]!, wShape[0], -1), 0, 1), gyColumns) : null;
            return
            [
                need[0] ? Ops.DeformIm2ColBackwardData(gColumns!, s[1]!, xShape, window) : null,
                need[1] ? Ops.DeformIm2ColBackwardOffset(gColumns!, s[0]!, s[1]!, window) : null,
                need[2] ? Ops.Reshape(Ops.Sum(Ops.Matmul(gyColumns, Ops.Transpose(Ops.DeformIm2Col(s[0]!, s[1]!, window), 1, 2)), 0), wShape.ToArray()) : null,
                .. bias is null ? Array.Empty<Tensor?>() : [need[3] ? Ops.Sum(gy, 0, 2, 3) : null],
            ];
        }, t =>
        {
            // Columns' tangent (x's part and the offsets' part) through the weights, then the columns through the weights' tangent.
            var tColumns = t[0] is null && t[1] is null ? null : Tangents.Sum(new Shape(xShape[0], xShape[1] * window.Taps, p * q),
                Tangents.Map(t[0], tx => Ops.DeformIm2Col(tx, offset, window)),
                Tangents.Map(t[1], tOffset => Ops.DeformIm2ColJvpOffset(x, offset, tOffset, window)));
            return Tangents.Sum(y.Shape,
                Tangents.Map(tColumns, tc => Ops.DeformConv2dFromColumns(tc, w, null, p, q)),
                Tangents.Map(t[2], tw => Ops.DeformConv2dFromColumns(Ops.DeformIm2Col(x, offset, window), tw, null, p, q)),
                bias is null ? null : Tangents.Map(t[3], tb => Ops.Reshape(tb, 1, -1, 1, 1)));
        });
    }
}
