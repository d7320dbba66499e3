namespace NativeMtl.Kernels.Cpu;

public sealed partial class CpuBackend
{
    public void SgdStep(TensorRef param, TensorRef grad, TensorRef? momentumBuffer, SgdOptions options, bool firstStep) => throw new NotImplementedException();

    public void AdamStep(TensorRef param, TensorRef grad, TensorRef m, TensorRef v, AdamOptions options, int step) => throw new NotImplementedException();
}
