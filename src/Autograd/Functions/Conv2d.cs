using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl;

public static partial class F
{
    /// <summary>2-d convolution of NCHW x with weights [K, C/groups, R, S] and an optional bias [K].</summary>
    public static Tensor Conv2d(Tensor x, Tensor w, Tensor? bias = null, Conv2dGeometry? geometry = null)
    {
        var g = geometry ?? new Conv2dGeometry();
        var y = Ops.Conv2d(x, w, bias, g);
        Tensor[] inputs = bias is null ? [x, w] : [x, w, bias];
        return Autograd.Record("Conv2d", y, inputs, (gy, need) =>
        [
            need[0] ? Ops.Conv2dBackwardData(gy, w, x.Shape, g) : null,
            need[1] ? Ops.Conv2dBackwardFilter(x, gy, w.Shape, g) : null,
            .. bias is null ? Array.Empty<Tensor?>() : [need[2] ? Ops.Sum(gy, 0, 2, 3) : null],
        ]);
    }
}
