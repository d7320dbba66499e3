using NativeMtl.Kernels;

namespace NativeMtl.Raw;

public static partial class Ops
{
    /// <summary>[C]: entry c sums the values whose Int32 label (same shape) is c; labels outside [0, C) count for no class.</summary>
    public static Tensor ClassSum(Tensor values, Tensor labels, int classes)
    {
        CheckClasses("ClassSum", values, labels, classes);
        using var vd = Dense(values);
        using var ld = Dense(labels);
        var sums = Tensors.Empty(new Shape(classes), values.DType, values.Device);
        values.Backend.ClassSum(vd.Ref, ld.Ref, sums.Ref);
        return sums;
    }

    /// <summary>g[label] at every position of <paramref name="labels"/> (0 where the label is outside [0, C)): the
    /// transpose of <see cref="ClassSum"/>.</summary>
    public static Tensor ClassGather(Tensor g, Tensor labels)
    {
        if (g.Rank != 1) throw new ShapeException("ClassGather", $"expects per-class values [C], got {g.Shape}");
        FloatingPoint("ClassGather", g);
        SameDevice("ClassGather", g, labels);
        if (labels.DType != DType.Int32) throw new ArgumentException($"ClassGather: labels must be Int32, not {labels.DType}");
        using var gd = Dense(g);
        using var ld = Dense(labels);
        var y = Tensors.Empty(labels.Shape, g.DType, g.Device);
        g.Backend.ClassGather(gd.Ref, ld.Ref, y.Ref);
        return y;
    }

    private static void CheckClasses(string op, Tensor values, Tensor labels, int classes)
    {
        FloatingPoint(op, values);
        SameDevice(op, values, labels);
        if (labels.DType != DType.Int32) throw new ArgumentException($"{op}: labels must be Int32, not {labels.DType}");
        if (labels.Shape != values.Shape) throw new ShapeException(op, $"labels {labels.Shape} differ from values {values.Shape}");
        if (classes < 1) throw new ArgumentException($"{op}: needs at least one class, not {classes}");
    }
}
