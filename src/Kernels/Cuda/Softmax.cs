namespace NativeMtl.Kernels.Cuda;

/// <summary>Softmax (kernels/softmax.cu) over a contiguous tensor seen as [outer, size, inner]: a block per row
/// when the axis is innermost, a thread per column otherwise.</summary>
public sealed partial class CudaBackend
{
    public void Softmax(TensorRef x, int axis, bool log, TensorRef y)
    {
        string suffix = FloatSuffix(x, "Softmax");
        var (outer, size, inner) = SoftmaxLayout.Of("Softmax", axis, x, y);
        if (outer * size * inner == 0) return;
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        bool rows = inner == 1;
        args.Add(outer);
        args.Add(size);
        if (!rows) args.Add(inner);
        args.Add(log ? 1 : 0);
        args.Add(Address(x, "Softmax"));
        args.Add(Address(y, "Softmax"));
        if (rows) Launch($"softmax_rows_{suffix}", RowLaunch(outer, size), args, "Softmax", [x, y]);
        else Launch($"softmax_columns_{suffix}", PerElement(outer * inner), args, "Softmax", [x, y]);
    }

    public void SoftmaxBackward(TensorRef y, TensorRef gy, int axis, bool log, TensorRef gx)
    {
        string suffix = FloatSuffix(y, "SoftmaxBackward");
        var (outer, size, inner) = SoftmaxLayout.Of("SoftmaxBackward", axis, y, gy, gx);
        if (outer * size * inner == 0) return;
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        bool rows = inner == 1;
        args.Add(outer);
        args.Add(size);
        if (!rows) args.Add(inner);
        args.Add(log ? 1 : 0);
        args.Add(Address(y, "SoftmaxBackward"));
        args.Add(Address(gy, "SoftmaxBackward"));
        args.Add(Address(gx, "SoftmaxBackward"));
        if (rows) Launch($"softmax_backward_rows_{suffix}", RowLaunch(outer, size), args, "SoftmaxBackward", [y, gy, gx]);
        else Launch($"softmax_backward_columns_{suffix}", PerElement(outer * inner), args, "SoftmaxBackward", [y, gy, gx]);
    }

    /// <summary>A block per row, as wide as the row needs up to 256 threads (a whole number of warps).</summary>
    private LaunchShape RowLaunch(long rows, int size) =>
        new((uint)Math.Min(rows, _limits.MaxGrid), (uint)Math.Clamp((size + 31) / 32 * 32, 32, 256));
}
