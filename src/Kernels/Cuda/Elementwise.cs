using NativeMtl.Kernels.Cpu;

namespace NativeMtl.Kernels.Cuda;

/// <summary>Elementwise ops (kernels/elementwise.cu): the operands' axes are merged where every operand lays them
/// out back to back, so dense operands reach the kernel as rank 1; the op travels as its enum value.</summary>
public sealed partial class CudaBackend
{
    public void Unary(UnaryOp op, TensorRef x, TensorRef y)
    {
        string name = op.ToString(), suffix = FloatSuffix(y, name);
        long n = y.Count;
        if (n == 0) return;
        var (dims, steps) = StridedLoop.Coalesce(y.Shape, [x.Strides, y.Strides]);
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add((int)op);
        args.Add(n);
        args.Add(Address(x, name));
        args.Add(KernelTensor.Of(name, dims, steps[0]));
        args.Add(Address(y, name));
        args.Add(KernelTensor.Of(name, dims, steps[1]));
        Launch($"unary_{suffix}", PerElement(n), args, name, [x, y]);
    }

    public void Scalar(ScalarOp op, TensorRef x, double a, double b, TensorRef y)
    {
        string name = op.ToString(), suffix = FloatSuffix(y, name);
        long n = y.Count;
        if (n == 0) return;
        var (dims, steps) = StridedLoop.Coalesce(y.Shape, [x.Strides, y.Strides]);
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add((int)op);
        if (y.DType == DType.Float32)
        {
            args.Add((float)a);
            args.Add((float)b);
        }
        else
        {
            args.Add(a);
            args.Add(b);
        }
        args.Add(n);
        args.Add(Address(x, name));
        args.Add(KernelTensor.Of(name, dims, steps[0]));
        args.Add(Address(y, name));
        args.Add(KernelTensor.Of(name, dims, steps[1]));
        Launch($"scalar_{suffix}", PerElement(n), args, name, [x, y]);
    }

    public void Binary(BinaryOp op, TensorRef a, TensorRef b, TensorRef y)
    {
        string name = op.ToString(), suffix = FloatSuffix(y, name);
        long n = y.Count;
        if (n == 0) return;
        var (dims, steps) = StridedLoop.Coalesce(y.Shape, [a.Strides, b.Strides, y.Strides]);
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add((int)op);
        args.Add(n);
        args.Add(Address(a, name));
        args.Add(KernelTensor.Of(name, dims, steps[0]));
        args.Add(Address(b, name));
        args.Add(KernelTensor.Of(name, dims, steps[1]));
        args.Add(Address(y, name));
        args.Add(KernelTensor.Of(name, dims, steps[2]));
        Launch($"binary_{suffix}", PerElement(n), args, name, [a, b, y]);
    }

    public void Where(TensorRef condition, TensorRef a, TensorRef b, TensorRef y)
    {
        string suffix = FloatSuffix(y, "Where");
        long n = y.Count;
        if (n == 0) return;
        var (dims, steps) = StridedLoop.Coalesce(y.Shape, [condition.Strides, a.Strides, b.Strides, y.Strides]);
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add(n);
        args.Add(Address(condition, "Where"));
        args.Add(KernelTensor.Of("Where", dims, steps[0]));
        args.Add(Address(a, "Where"));
        args.Add(KernelTensor.Of("Where", dims, steps[1]));
        args.Add(Address(b, "Where"));
        args.Add(KernelTensor.Of("Where", dims, steps[2]));
        args.Add(Address(y, "Where"));
        args.Add(KernelTensor.Of("Where", dims, steps[3]));
        Launch($"where_{suffix}_by_{Suffix(condition.DType)}", PerElement(n), args, "Where", [condition, a, b, y]);
    }
}
