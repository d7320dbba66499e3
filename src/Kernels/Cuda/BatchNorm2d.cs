using NativeMtl.Kernels.Cuda.Native;

namespace NativeMtl.Kernels.Cuda;

/// <summary>
/// Spatial batch norm on cuDNN (CUDNN_BATCHNORM_SPATIAL). cuDNN's saved statistics are the batch mean and
/// 1/√(var + eps), the same as the contract's saveMean/saveInvStd, and its running variance moves towards the
/// unbiased batch variance, as PyTorch's (and the CPU backend's) does. cuDNN rejects eps below 1e-5.
/// </summary>
public sealed unsafe partial class CudaBackend
{
    public void BatchNormTrainingForward(TensorRef x, TensorRef gamma, TensorRef beta, TensorRef runningMean,
        TensorRef runningVar, double momentum, double eps, TensorRef y, TensorRef saveMean, TensorRef saveInvStd)
    {
        const string Op = "BatchNormTrainingForward";
        var gpu = Vendor(Op, "cuDNN");
        CheckBatchNormEpsilon(Op, eps);
        RequireContiguous(Op, x, y, gamma, beta, runningMean, runningVar, saveMean, saveInvStd);
        var (xd, bd) = BatchNormDescriptors(gpu, Op, x);
        try
        {
            float oneF = 1, zeroF = 0;
            double oneD = 1, zeroD = 0;
            bool wide = x.DType == DType.Float64;
            void* one = wide ? &oneD : &oneF, zero = wide ? &zeroD : &zeroF;
            Cudnn.Check(Cudnn.cudnnBatchNormalizationForwardTraining(gpu.Cudnn, Cudnn.BatchNormSpatial, one, zero,
                xd, Address(x, Op), xd, Address(y, Op), bd, Address(gamma, Op), Address(beta, Op), momentum,
                Address(runningMean, Op), Address(runningVar, Op), eps, Address(saveMean, Op), Address(saveInvStd, Op)),
                "cudnnBatchNormalizationForwardTraining", $"{Op} on {x}");
        }
        finally
        {
            Cudnn.cudnnDestroyTensorDescriptor(xd);
            Cudnn.cudnnDestroyTensorDescriptor(bd);
        }
    }

    public void BatchNormInferenceForward(TensorRef x, TensorRef gamma, TensorRef beta, TensorRef mean, TensorRef var,
        double eps, TensorRef y)
    {
        const string Op = "BatchNormInferenceForward";
        var gpu = Vendor(Op, "cuDNN");
        CheckBatchNormEpsilon(Op, eps);
        RequireContiguous(Op, x, y, gamma, beta, mean, var);
        var (xd, bd) = BatchNormDescriptors(gpu, Op, x);
        try
        {
            float oneF = 1, zeroF = 0;
            double oneD = 1, zeroD = 0;
            bool wide = x.DType == DType.Float64;
            void* one = wide ? &oneD : &oneF, zero = wide ? &zeroD : &zeroF;
            Cudnn.Check(Cudnn.cudnnBatchNormalizationForwardInference(gpu.Cudnn, Cudnn.BatchNormSpatial, one, zero,
                xd, Address(x, Op), xd, Address(y, Op), bd, Address(gamma, Op), Address(beta, Op), Address(mean, Op), Address(var, Op), eps),
                "cudnnBatchNormalizationForwardInference", $"{Op} on {x}");
        }
        finally
        {
            Cudnn.cudnnDestroyTensorDescriptor(xd);
            Cudnn.cudnnDestroyTensorDescriptor(bd);
        }
    }

    /// <summary>cuDNN takes the saved mean and inverse deviation and does not recompute the variance, so the
    /// contract's missing eps is passed as cuDNN's minimum.</summary>
    public void BatchNormBackward(TensorRef x, TensorRef gy, TensorRef gamma, TensorRef saveMean, TensorRef saveInvStd,
        TensorRef gx, TensorRef ggamma, TensorRef gbeta)
    {
        const string Op = "BatchNormBackward";
        var gpu = Vendor(Op, "cuDNN");
        RequireContiguous(Op, x, gy, gx, gamma, saveMean, saveInvStd, ggamma, gbeta);
        var (xd, bd) = BatchNormDescriptors(gpu, Op, x);
        try
        {
            float oneF = 1, zeroF = 0;
            double oneD = 1, zeroD = 0;
            bool wide = x.DType == DType.Float64;
            void* one = wide ? &oneD : &oneF, zero = wide ? &zeroD : &zeroF;
            Cudnn.Check(Cudnn.cudnnBatchNormalizationBackward(gpu.Cudnn, Cudnn.BatchNormSpatial, one, zero, one, zero,
                xd, Address(x, Op), xd, Address(gy, Op), xd, Address(gx, Op), bd, Address(gamma, Op), Address(ggamma, Op), Address(gbeta, Op),
                Cudnn.BatchNormMinEpsilon, Address(saveMean, Op), Address(saveInvStd, Op)),
                "cudnnBatchNormalizationBackward", $"{Op} on {x}");
        }
        finally
        {
            Cudnn.cudnnDestroyTensorDescriptor(xd);
            Cudnn.cudnnDestroyTensorDescriptor(bd);
        }
    }

    private static void CheckBatchNormEpsilon(string op, double eps)
    {
        if (eps < Cudnn.BatchNormMinEpsilon)
            throw new ArgumentOutOfRangeException(nameof(eps), $"{op}: cuDNN needs eps ≥ {Cudnn.BatchNormMinEpsilon:R} (CUDNN_BN_MIN_EPSILON), got {eps:R}");
    }

    /// <summary>An NCHW descriptor of x and the per-channel descriptor cuDNN derives from it.</summary>
    private static (nint X, nint Channels) BatchNormDescriptors(CudaDevice gpu, string op, TensorRef x)
    {
        FloatSuffix(x, op);
        if (x.Rank != 4) throw new ArgumentException($"{op}: x {x} is not NCHW");
        gpu.Enter();
        nint xd = TensorDescriptor(x.DType, x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]);
        Cudnn.Check(Cudnn.cudnnCreateTensorDescriptor(out nint bd), "cudnnCreateTensorDescriptor", op);
        Cudnn.Check(Cudnn.cudnnDeriveBNTensorDescriptor(bd, xd, Cudnn.BatchNormSpatial), "cudnnDeriveBNTensorDescriptor", $"{op} on {x}");
        return (xd, bd);
    }
}
