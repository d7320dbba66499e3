namespace NativeMtl.Kernels.Cpu;

public sealed partial class CpuBackend
{
    public void Conv2dForward(TensorRef x, TensorRef w, TensorRef? bias, TensorRef y, Conv2dGeometry geometry) => throw new NotImplementedException();

    public void Conv2dBackwardData(TensorRef gy, TensorRef w, TensorRef gx, Conv2dGeometry geometry) => throw new NotImplementedException();

    public void Conv2dBackwardFilter(TensorRef x, TensorRef gy, TensorRef gw, Conv2dGeometry geometry) => throw new NotImplementedException();
}
