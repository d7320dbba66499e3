namespace NativeMtl.Kernels.Cuda;

/// <summary>Per-class sums and the gather by label (kernels/class_sum.cu): a block per class for the sum, a thread per
/// position for the gather.</summary>
public sealed partial class CudaBackend
{
    public void ClassSum(TensorRef values, TensorRef labels, TensorRef sums)
    {
        const string op = "ClassSum";
        Cpu.CpuBackend.CheckClassLayout(op, values, labels, sums);
        string suffix = FloatSuffix(values, op);
        if (sums.Count == 0) return;
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add(values.Count);
        args.Add((int)sums.Count);
        args.Add(Address(values, op));
        args.Add(Address(labels, op));
        args.Add(Address(sums, op));
        Launch($"class_sum_{suffix}", new LaunchShape((uint)Math.Min(sums.Count, _limits.MaxGrid), ReduceBlock), args, op, [values, labels, sums]);
    }

    public void ClassGather(TensorRef g, TensorRef labels, TensorRef y)
    {
        const string op = "ClassGather";
        Cpu.CpuBackend.CheckClassLayout(op, y, labels, g);
        string suffix = FloatSuffix(y, op);
        if (y.Count == 0) return;
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add(y.Count);
        args.Add((int)g.Count);
        args.Add(Address(g, op));
        args.Add(Address(labels, op));
        args.Add(Address(y, op));
        Launch($"class_gather_{suffix}", PerElement(y.Count), args, op, [g, labels, y]);
    }
}
