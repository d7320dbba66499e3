namespace NativeMtl.Kernels.Cuda;

/// <summary>Optimizer steps (kernels/optim.cu) with the CPU backend's coefficients: rounded to the element type
/// here, bias corrections in double.</summary>
public sealed partial class CudaBackend
{
    private const int SgdFirstStep = 1, SgdNesterov = 2, SgdWeightDecay = 4;
    private const int AdamWeightDecay = 1, AdamDecoupled = 2, AdamLerpFromM = 4;

    public void SgdStep(TensorRef param, TensorRef grad, TensorRef? momentumBuffer, SgdOptions options, bool firstStep)
    {
        string suffix = FloatSuffix(param, "SgdStep");
        bool momentum = options.Momentum != 0;
        if (momentum && momentumBuffer is null) throw new ArgumentException("SgdStep: momentum needs a momentum buffer");
        if (momentum) CheckOptimizerState("SgdStep", param, grad, momentumBuffer!.Value);
        else CheckOptimizerState("SgdStep", param, grad);
        long n = param.Count;
        if (n == 0) return;
        int flags = (firstStep ? SgdFirstStep : 0) | (options.Nesterov ? SgdNesterov : 0) | (options.WeightDecay != 0 ? SgdWeightDecay : 0);
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add(n);
        args.Add(Address(param, "SgdStep"));
        args.Add(Address(grad, "SgdStep"));
        args.Add(momentum ? Address(momentumBuffer!.Value, "SgdStep") : 0UL);
        AddInType(ref args, param, -options.LearningRate);
        AddInType(ref args, param, options.WeightDecay);
        AddInType(ref args, param, options.Momentum);
        AddInType(ref args, param, 1 - options.Dampening);
        args.Add(flags);
        Launch($"sgd_step_{suffix}", PerElement(n), args, "SgdStep", [param, grad]);
    }

    public void AdamStep(TensorRef param, TensorRef grad, TensorRef m, TensorRef v, AdamOptions o, int step)
    {
        string suffix = FloatSuffix(param, "AdamStep");
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), $"AdamStep: step counts from 1, got {step}");
        CheckOptimizerState("AdamStep", param, grad, m, v);
        long n = param.Count;
        if (n == 0) return;
        int flags = (o.WeightDecay != 0 ? AdamWeightDecay : 0) | (o.Decoupled ? AdamDecoupled : 0) | (1 - o.Beta1 < 0.5 ? AdamLerpFromM : 0);
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add(n);
        args.Add(Address(param, "AdamStep"));
        args.Add(Address(grad, "AdamStep"));
        args.Add(Address(m, "AdamStep"));
        args.Add(Address(v, "AdamStep"));
        AddInType(ref args, param, o.WeightDecay);
        AddInType(ref args, param, 1 - o.LearningRate * o.WeightDecay);
        AddInType(ref args, param, 1 - o.Beta1);
        // 1 − (1 − β1) rounded in the element type, as the CPU's lerp computes its complement.
        if (param.DType == DType.Float32) args.Add(1f - (float)(1 - o.Beta1));
        else args.Add(1.0 - (1 - o.Beta1));
        AddInType(ref args, param, o.Beta2);
        AddInType(ref args, param, 1 - o.Beta2);
        AddInType(ref args, param, Math.Sqrt(1 - Math.Pow(o.Beta2, step)));
        AddInType(ref args, param, o.Epsilon);
        AddInType(ref args, param, -o.LearningRate / (1 - Math.Pow(o.Beta1, step)));
        args.Add(flags);
        Launch($"adam_step_{suffix}", PerElement(n), args, "AdamStep", [param, grad, m, v]);
    }

    /// <summary>Adds a coefficient as the kernel's T: float for Float32 tensors, double for Float64.</summary>
    private static void AddInType(ref KernelArgs args, TensorRef like, double value)
    {
        if (like.DType == DType.Float32) args.Add((float)value);
        else args.Add(value);
    }

    private static void CheckOptimizerState(string op, TensorRef param, params ReadOnlySpan<TensorRef> others)
    {
        if (!param.IsContiguous) throw new ArgumentException($"{op}: parameter {param} must be contiguous");
        foreach (var t in others)
        {
            if (!t.Shape.AsSpan().SequenceEqual(param.Shape) || t.DType != param.DType)
                throw new ArgumentException($"{op}: {t} does not match parameter {param}");
            if (!t.IsContiguous) throw new ArgumentException($"{op}: {t} must be contiguous");
        }
    }
}
