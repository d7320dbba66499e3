namespace NativeMtl.Kernels.Cpu;

public sealed partial class CpuBackend
{
    public void UpsampleBilinear2dForward(TensorRef x, TensorRef y) => throw new NotImplementedException();

    public void UpsampleBilinear2dBackward(TensorRef gy, TensorRef gx) => throw new NotImplementedException();
}
