namespace NativeMtl.Kernels.Cpu;

public sealed partial class CpuBackend
{
    public void NllLoss(TensorRef logProbs, TensorRef target, int ignoreIndex, TensorRef loss, TensorRef valid) => throw new NotImplementedException();

    public void NllLossBackward(TensorRef gLoss, TensorRef target, int ignoreIndex, TensorRef gLogProbs) => throw new NotImplementedException();
}
