namespace NativeMtl.Kernels.Cpu;

public sealed partial class CpuBackend
{
    public void Gemm(TensorRef a, TensorRef b, TensorRef c, double alpha, double beta) => throw new NotImplementedException();
}
