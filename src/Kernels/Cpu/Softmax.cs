namespace NativeMtl.Kernels.Cpu;

public sealed partial class CpuBackend
{
    public void Softmax(TensorRef x, int axis, bool log, TensorRef y) => throw new NotImplementedException();

    public void SoftmaxBackward(TensorRef y, TensorRef gy, int axis, bool log, TensorRef gx) => throw new NotImplementedException();
}
