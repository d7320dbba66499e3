namespace NativeMtl.Kernels.Cpu;

public sealed partial class CpuBackend
{
    public void MaxPool2dForward(TensorRef x, TensorRef y, Pool2dGeometry geometry) => throw new NotImplementedException();

    public void MaxPool2dBackward(TensorRef x, TensorRef y, TensorRef gy, TensorRef gx, Pool2dGeometry geometry) => throw new NotImplementedException();

    public void AvgPool2dForward(TensorRef x, TensorRef y, Pool2dGeometry geometry) => throw new NotImplementedException();

    public void AvgPool2dBackward(TensorRef gy, TensorRef gx, Pool2dGeometry geometry) => throw new NotImplementedException();
}
