using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl;

public static partial class F
{
    public static Tensor MaxPool2d(Tensor x, Pool2dGeometry geometry)
    {
        var y = Ops.MaxPool2d(x, geometry);
        return Autograd.Record("MaxPool2d", y, [x], (gy, _) => [Ops.MaxPool2dBackward(x, y, gy, geometry)]);
    }

    public static Tensor AvgPool2d(Tensor x, Pool2dGeometry geometry) =>
        Autograd.Record("AvgPool2d", Ops.AvgPool2d(x, geometry), [x], (gy, _) => [Ops.AvgPool2dBackward(gy, x.Shape, geometry)]);
}
