using NativeMtl.Kernels;

namespace NativeMtl.Raw;

public static partial class Ops
{
    /// <summary>One SGD step in place on param (and the momentum buffer, when momentum is used).</summary>
    public static void SgdStep(Tensor param, Tensor grad, Tensor? momentumBuffer, SgdOptions options, bool firstStep)
    {
        CheckUpdate("SgdStep", param, grad);
        if (options.Momentum != 0)
        {
            if (momentumBuffer is null) throw new ArgumentException("SgdStep: momentum needs a momentum buffer");
            CheckUpdate("SgdStep", param, momentumBuffer);
        }
        if (options.Nesterov && (options.Momentum <= 0 || options.Dampening != 0))
            throw new ArgumentException("SgdStep: Nesterov momentum requires a momentum and zero dampening");
        param.Backend.SgdStep(param.Ref, grad.Ref, options.Momentum != 0 ? momentumBuffer!.Ref : null, options, firstStep);
    }

    /// <summary>One Adam or AdamW step in place on param and its moment estimates; step counts from 1.</summary>
    public static void AdamStep(Tensor param, Tensor grad, Tensor m, Tensor v, AdamOptions options, int step)
    {
        CheckUpdate("AdamStep", param, grad);
        CheckUpdate("AdamStep", param, m);
        CheckUpdate("AdamStep", param, v);
        if (step < 1) throw new ArgumentException($"AdamStep: step counts from 1, got {step}");
        param.Backend.AdamStep(param.Ref, grad.Ref, m.Ref, v.Ref, options, step);
    }

    private static void CheckUpdate(string op, Tensor param, Tensor other)
    {
        FloatingPoint(op, param);
        SameDevice(op, param, other);
        SameDType(op, param, other);
        if (other.Shape != param.Shape) throw new ShapeException(op, $"{other.Name ?? "tensor"} {other.Shape} differs from parameter {param.Name ?? ""}{param.Shape}");
        if (!param.IsContiguous || !other.IsContiguous) throw new ArgumentException($"{op}: parameters and optimizer state must be contiguous");
    }
}
