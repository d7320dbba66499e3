namespace NativeMtl.Kernels.Cuda;

/// <summary>Max and average pooling as custom kernels (kernels/pool.cu) rather than cuDNN, for PyTorch's tie and
/// NaN rules; the backward passes gather per input element, so they need no atomics.</summary>
public sealed partial class CudaBackend
{
    public void MaxPool2dForward(TensorRef x, TensorRef y, Pool2dGeometry geometry) =>
        PoolForward("MaxPool2dForward", "max_pool_forward", x, y, geometry);

    /// <summary>The maximum's position is found again from x, so y is not read.</summary>
    public void MaxPool2dBackward(TensorRef x, TensorRef y, TensorRef gy, TensorRef gx, Pool2dGeometry geometry) =>
        PoolBackward("MaxPool2dBackward", "max_pool_backward", x, gy, gx, geometry);

    public void MaxPool2dJvp(TensorRef x, TensorRef tx, TensorRef ty, Pool2dGeometry geometry)
    {
        const string op = "MaxPool2dJvp";
        string suffix = FloatSuffix(x, op);
        RequireContiguous(op, x, tx, ty);
        long total = ty.Count;
        if (total == 0) return;
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add(total);
        args.Add(x.Shape[2]);
        args.Add(x.Shape[3]);
        args.Add(ty.Shape[2]);
        args.Add(ty.Shape[3]);
        args.Add(KernelPoolWindow.Of(geometry));
        args.Add(Address(x, op));
        args.Add(Address(tx, op));
        args.Add(Address(ty, op));
        Launch($"max_pool_jvp_{suffix}", PerElement(total), args, op, [x, tx, ty]);
    }

    public void AvgPool2dForward(TensorRef x, TensorRef y, Pool2dGeometry geometry) =>
        PoolForward("AvgPool2dForward", "avg_pool_forward", x, y, geometry);

    public void AvgPool2dBackward(TensorRef gy, TensorRef gx, Pool2dGeometry geometry) =>
        PoolBackward("AvgPool2dBackward", "avg_pool_backward", null, gy, gx, geometry);

    private void PoolForward(string op, string kernel, TensorRef x, TensorRef y, Pool2dGeometry geometry)
    {
        string suffix = FloatSuffix(x, op);
        RequireContiguous(op, x, y);
        long total = y.Count;
        if (total == 0) return;
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add(total);
        args.Add(x.Shape[2]);
        args.Add(x.Shape[3]);
        args.Add(y.Shape[2]);
        args.Add(y.Shape[3]);
        args.Add(KernelPoolWindow.Of(geometry));
        args.Add(Address(x, op));
        args.Add(Address(y, op));
        Launch($"{kernel}_{suffix}", PerElement(total), args, op, [x, y]);
    }

    private void PoolBackward(string op, string kernel, TensorRef? x, TensorRef gy, TensorRef gx, Pool2dGeometry geometry)
    {
        string suffix = FloatSuffix(gx, op);
        RequireContiguous(op, gy, gx);
        long total = gx.Count;
        if (total == 0) return;
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add(total);
        args.Add(gx.Shape[2]);
        args.Add(gx.Shape[3]);
        args.Add(gy.Shape[2]);
        args.Add(gy.Shape[3]);
        args.Add(KernelPoolWindow.Of(geometry));
        if (x is { } input)
        {
            RequireContiguous(op, input);
            args.Add(Address(input, op));
        }
        args.Add(Address(gy, op));
        args.Add(Address(gx, op));
        Launch($"{kernel}_{suffix}", PerElement(total), args, op, [gy, gx]);
    }
}
