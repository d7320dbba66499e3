using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Models;

/// <summary>
/// A task loss evaluated at every pixel: <see cref="Loss"/> [N, *] and <see cref="Valid"/> [N, *], 1 where the
/// pixel counts and 0 where it does not. The loss is 0 wherever the pixel does not count, so its sums need no
/// further masking. Both the usual mean and the per-class breakdown of the class-wise balancer (seed 003) are
/// made from it with differentiable functions, so both back-propagate like any other loss.
/// </summary>
public sealed record PixelLoss(Tensor Loss, Tensor Valid)
{
    /// <summary>The mean over the pixels that count; 0 when none do, so an unlabelled batch adds nothing.</summary>
    public Tensor Mean() => F.Div(F.Sum(Loss), CountAtLeastOne(Ops.Sum(Valid)));

    /// <summary>
    /// [C]: entry c is the mean loss over the counted pixels whose class in <paramref name="classMap"/> (Int32,
    /// shaped like <see cref="Loss"/>) is c, and 0 for a class with no such pixel. Values outside [0, C) (ignore
    /// labels such as −1 or 255, missing depths) belong to no class. Each entry's gradient reaches only its own
    /// class's pixels. One pass over the pixels whatever C is (<see cref="F.ClassSum"/>).
    /// </summary>
    public Tensor PerClass(Tensor classMap, int classes)
    {
        const string op = "PerClass";
        if (classes < 1) throw new ArgumentException($"{op}: needs at least one class, not {classes}");
        if (classMap.DType != DType.Int32) throw new ArgumentException($"{op}: the class map must be Int32, not {classMap.DType}");
        if (classMap.Shape != Loss.Shape)
            throw new ShapeException(op, $"class map {classMap.Shape} differs from the per-pixel loss {Loss.Shape}");
        Ops.SameDevice(op, classMap, Loss);
        var sums = F.ClassSum(Loss, classMap, classes);
        var counts = CountAtLeastOne(Ops.ClassSum(Valid, classMap, classes));
        return F.Div(sums, counts);
    }

    private static Tensor CountAtLeastOne(Tensor counts) => Ops.Scalar(ScalarOp.Clamp, counts, 1, double.PositiveInfinity);
}
