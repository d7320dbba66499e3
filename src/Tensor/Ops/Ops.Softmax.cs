namespace NativeMtl.Raw;

public static partial class Ops
{
    /// <summary>Softmax along an axis; with <paramref name="log"/>, log-softmax computed stably.</summary>
    public static Tensor Softmax(Tensor x, int axis, bool log = false)
    {
        FloatingPoint(log ? "LogSoftmax" : "Softmax", x);
        int a = x.Shape.NormalizeAxis(axis);
        using var xd = Dense(x);
        var y = Tensors.Empty(x.Shape, x.DType, x.Device);
        x.Backend.Softmax(xd.Ref, a, log, y.Ref);
        return y;
    }

    public static Tensor SoftmaxBackward(Tensor y, Tensor gy, int axis, bool log = false)
    {
        if (gy.Shape != y.Shape) throw new ShapeException("SoftmaxBackward", $"gradient {gy.Shape} differs from output {y.Shape}");
        int a = y.Shape.NormalizeAxis(axis);
        using var yd = Dense(y);
        using var gyd = Dense(gy);
        var gx = Tensors.Empty(y.Shape, y.DType, y.Device);
        y.Backend.SoftmaxBackward(yd.Ref, gyd.Ref, a, log, gx.Ref);
        return gx;
    }
}
