namespace NativeMtl.Kernels.Cuda;

/// <summary>GradDrop (kernels/graddrop.cu): a thread per feature position.</summary>
public sealed partial class CudaBackend
{
    public void GradDrop(TensorRef g, TensorRef x, ulong seed, ulong offset, double leak, TensorRef y)
    {
        const string op = "GradDrop";
        Cpu.CpuBackend.CheckGradDropLayout(g, x, y);
        string suffix = FloatSuffix(g, op);
        long f = g.Shape[2];
        if (f == 0 || g.Shape[1] == 0) return;
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add(g.Shape[0]);
        args.Add((long)g.Shape[1]);
        args.Add(f);
        args.Add(Address(g, op));
        args.Add(Address(x, op));
        args.Add(seed);
        args.Add(offset);
        args.Add(leak);
        args.Add(Address(y, op));
        Launch($"graddrop_{suffix}", PerElement(f), args, op, [g, x, y]);
    }
}
