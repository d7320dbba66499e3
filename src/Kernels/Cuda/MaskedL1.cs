namespace NativeMtl.Kernels.Cuda;

/// <summary>Masked L1 loss and gradient in one pass over the data (kernels/masked_l1.cu), then a pass over the
/// gradient alone to apply 1 / max(Σ mask, 1).</summary>
public sealed partial class CudaBackend
{
    public void MaskedL1(TensorRef pred, TensorRef target, TensorRef mask, TensorRef loss, TensorRef gradient)
    {
        const string op = "MaskedL1";
        string suffix = FloatSuffix(pred, op);
        RequireContiguous(op, pred, target, mask, gradient);
        foreach (var t in (ReadOnlySpan<TensorRef>)[target, mask, gradient])
            if (!t.Shape.AsSpan().SequenceEqual(pred.Shape) || t.DType != pred.DType)
                throw new ArgumentException($"{op}: {t} does not match prediction {pred}");
        long n = pred.Count;
        int blocks = (int)Math.Clamp((n + GeometryBlock - 1) / GeometryBlock, 1, _limits.MaxReductionBlocks);
        using var partial = Allocate(2L * blocks * sizeof(double));
        using var scale = Allocate(pred.DType.SizeInBytes());
        ulong partialAddress = Own(partial, op).Address, scaleAddress = Own(scale, op).Address;

        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add(n);
        args.Add(Address(pred, op));
        args.Add(Address(target, op));
        args.Add(Address(mask, op));
        args.Add(Address(gradient, op));
        args.Add(partialAddress);
        Launch($"masked_l1_partial_{suffix}", new LaunchShape((uint)blocks, GeometryBlock), args, op, [pred, target, mask, gradient]);

        var finish = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        finish.Add(blocks);
        finish.Add(partialAddress);
        finish.Add(Address(loss, op));
        finish.Add(scaleAddress);
        Launch($"masked_l1_finish_{suffix}", new LaunchShape(1, GeometryBlock), finish, op, [loss]);

        if (n == 0) return;
        var apply = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        apply.Add(n);
        apply.Add(scaleAddress);
        apply.Add(Address(gradient, op));
        Launch($"masked_l1_scale_{suffix}", PerElement(n), apply, op, [gradient]);
    }
}
