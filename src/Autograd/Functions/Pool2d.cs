using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl;

public static partial class F
{
    /// <summary>Max pooling. Its rule finds each window's maximum again from the input and output it saves, which
    /// are the previous and next layers' saved tensors anyway, so it holds no indices of its own. Its tangent is the
    /// input tangent at each window's (first) maximum.</summary>
    public static Tensor MaxPool2d(Tensor x, Pool2dGeometry geometry)
    {
        var y = Ops.MaxPool2d(x, geometry);
        return Autograd.Record("MaxPool2d", y, [x], [x, y], (gy, s, _) => [Ops.MaxPool2dBackward(s[0]!, s[1]!, gy, geometry)],
            t => Ops.MaxPool2dJvp(x, t[0]!, geometry));
    }

    public static Tensor AvgPool2d(Tensor x, Pool2dGeometry geometry)
    {
        var shape = x.Shape;
        return Autograd.Record("AvgPool2d", Ops.AvgPool2d(x, geometry), [x], [], (gy, _, _) => [Ops.AvgPool2dBackward(gy, shape, geometry)],
            t => Ops.AvgPool2d(t[0]!, geometry));
    }
}
