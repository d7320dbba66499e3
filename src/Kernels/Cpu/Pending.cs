namespace NativeMtl.Kernels.Cpu;

// Temporary: families being written in parallel. Each moves to its own file.
public sealed partial class CpuBackend
{
    public void Gemm(TensorRef a, TensorRef b, TensorRef c, double alpha, double beta) => throw new NotImplementedException();
    public void Conv2dForward(TensorRef x, TensorRef w, TensorRef? bias, TensorRef y, Conv2dGeometry geometry) => throw new NotImplementedException();
    public void Conv2dBackwardData(TensorRef gy, TensorRef w, TensorRef gx, Conv2dGeometry geometry) => throw new NotImplementedException();
    public void Conv2dBackwardFilter(TensorRef x, TensorRef gy, TensorRef gw, Conv2dGeometry geometry) => throw new NotImplementedException();
    public void BatchNormTrainingForward(TensorRef x, TensorRef gamma, TensorRef beta, TensorRef runningMean, TensorRef runningVar, double momentum, double eps, TensorRef y, TensorRef saveMean, TensorRef saveInvStd) => throw new NotImplementedException();
    public void BatchNormInferenceForward(TensorRef x, TensorRef gamma, TensorRef beta, TensorRef mean, TensorRef var, double eps, TensorRef y) => throw new NotImplementedException();
    public void BatchNormBackward(TensorRef x, TensorRef gy, TensorRef gamma, TensorRef saveMean, TensorRef saveInvStd, TensorRef gx, TensorRef ggamma, TensorRef gbeta) => throw new NotImplementedException();
    public void MaxPool2dForward(TensorRef x, TensorRef y, Pool2dGeometry geometry) => throw new NotImplementedException();
    public void MaxPool2dBackward(TensorRef x, TensorRef y, TensorRef gy, TensorRef gx, Pool2dGeometry geometry) => throw new NotImplementedException();
    public void AvgPool2dForward(TensorRef x, TensorRef y, Pool2dGeometry geometry) => throw new NotImplementedException();
    public void AvgPool2dBackward(TensorRef gy, TensorRef gx, Pool2dGeometry geometry) => throw new NotImplementedException();
    public void UpsampleBilinear2dForward(TensorRef x, TensorRef y) => throw new NotImplementedException();
    public void UpsampleBilinear2dBackward(TensorRef gy, TensorRef gx) => throw new NotImplementedException();
    public void Softmax(TensorRef x, int axis, bool log, TensorRef y) => throw new NotImplementedException();
    public void SoftmaxBackward(TensorRef y, TensorRef gy, int axis, bool log, TensorRef gx) => throw new NotImplementedException();
    public void NllLoss(TensorRef logProbs, TensorRef target, int ignoreIndex, TensorRef loss, TensorRef valid) => throw new NotImplementedException();
    public void NllLossBackward(TensorRef gLoss, TensorRef target, int ignoreIndex, TensorRef gLogProbs) => throw new NotImplementedException();
    public void SgdStep(TensorRef param, TensorRef grad, TensorRef? momentumBuffer, SgdOptions options, bool firstStep) => throw new NotImplementedException();
    public void AdamStep(TensorRef param, TensorRef grad, TensorRef m, TensorRef v, AdamOptions options, int step) => throw new NotImplementedException();
}
