using NativeMtl.Kernels.Cpu;

namespace NativeMtl.Kernels.Cuda;

public sealed partial class CudaBackend
{
    public void Copy(TensorRef x, TensorRef y)
    {
        if (!x.Shape.AsSpan().SequenceEqual(y.Shape)) throw new ArgumentException($"Copy: shapes of {x} and {y} differ");
        long n = y.Count;
        if (n == 0) return;
        var (dims, steps) = StridedLoop.Coalesce(y.Shape, [x.Strides, y.Strides]);
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add(n);
        args.Add(Address(x, "Copy"));
        args.Add(KernelTensor.Of("Copy", dims, steps[0]));
        args.Add(Address(y, "Copy"));
        args.Add(KernelTensor.Of("Copy", dims, steps[1]));
        Launch($"copy_{Suffix(x.DType)}_to_{Suffix(y.DType)}", PerElement(n), args, "Copy", [x, y]);
    }
}
