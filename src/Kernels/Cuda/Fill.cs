using NativeMtl.Kernels.Cpu;

namespace NativeMtl.Kernels.Cuda;

public sealed partial class CudaBackend
{
    public void Fill(TensorRef y, double value)
    {
        long n = y.Count;
        if (n == 0) return;
        var (dims, steps) = StridedLoop.Coalesce(y.Shape, [y.Strides]);
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add(n);
        args.Add(Address(y, "Fill"));
        args.Add(KernelTensor.Of("Fill", dims, steps[0]));
        switch (y.DType)
        {
            case DType.Float32: args.Add((float)value); break;
            case DType.Float64: args.Add(value); break;
            default: args.Add(checked((int)value)); break;
        }
        Launch($"fill_{Suffix(y.DType)}", PerElement(n), args, "Fill", [y]);
    }

    public void Arange(TensorRef y, double start, double step)
    {
        RequireContiguous("Arange", y);
        long n = y.Count;
        if (n == 0) return;
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add(n);
        args.Add(Address(y, "Arange"));
        args.Add(start);
        args.Add(step);
        Launch($"arange_{Suffix(y.DType)}", PerElement(n), args, "Arange", [y]);
    }

    /// <summary>Philox streams on the device (kernels/random.cu): uniform values equal the CPU's bit for bit;
    /// normal values may differ in the last bit (see random.cu).</summary>
    public void Random(TensorRef y, RandomDistribution distribution, ulong seed, ulong offset, double a, double b)
    {
        string suffix = FloatSuffix(y, "Random");
        RequireContiguous("Random", y);
        long n = y.Count;
        if (n == 0) return;
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add(n);
        args.Add(Address(y, "Random"));
        args.Add(seed);
        args.Add(offset);
        args.Add(a);
        args.Add(b);
        string kind = distribution == RandomDistribution.Uniform ? "uniform" : "normal";
        Launch($"random_{kind}_{suffix}", PerElement(n), args, "Random", [y]);
    }
}
