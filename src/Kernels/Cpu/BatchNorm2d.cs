namespace NativeMtl.Kernels.Cpu;

public sealed partial class CpuBackend
{
    public void BatchNormTrainingForward(TensorRef x, TensorRef gamma, TensorRef beta, TensorRef runningMean, TensorRef runningVar, double momentum, double eps, TensorRef y, TensorRef saveMean, TensorRef saveInvStd) => throw new NotImplementedException();

    public void BatchNormInferenceForward(TensorRef x, TensorRef gamma, TensorRef beta, TensorRef mean, TensorRef var, double eps, TensorRef y) => throw new NotImplementedException();

    public void BatchNormBackward(TensorRef x, TensorRef gy, TensorRef gamma, TensorRef saveMean, TensorRef saveInvStd, TensorRef gx, TensorRef ggamma, TensorRef gbeta) => throw new NotImplementedException();
}
