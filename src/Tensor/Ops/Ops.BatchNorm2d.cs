namespace NativeMtl.Raw;

public static partial class Ops
{
    /// <summary>Training-mode batch norm of NCHW x: normalizes with batch statistics and updates the running
    /// statistics in place. Also returns the batch mean and 1/√(var + eps) that the backward pass needs.</summary>
    public static (Tensor Y, Tensor SaveMean, Tensor SaveInvStd) BatchNorm2dTraining(Tensor x, Tensor gamma, Tensor beta,
        Tensor runningMean, Tensor runningVar, double momentum, double eps)
    {
        CheckBatchNorm(x, gamma, beta, runningMean, runningVar);
        if ((long)x.Shape[0] * x.Shape[2] * x.Shape[3] < 2)
            throw new ShapeException("BatchNorm2d", $"training needs more than one value per channel, got input {x.Shape}");
        using var xd = Dense(x);
        var y = Tensors.Empty(x.Shape, x.DType, x.Device);
        var mean = Tensors.Empty(gamma.Shape, x.DType, x.Device);
        var invStd = Tensors.Empty(gamma.Shape, x.DType, x.Device);
        x.Backend.BatchNormTrainingForward(xd.Ref, gamma.Ref, beta.Ref, runningMean.Ref, runningVar.Ref, momentum, eps, y.Ref, mean.Ref, invStd.Ref);
        return (y, mean, invStd);
    }

    /// <summary>Evaluation-mode batch norm: normalizes with the given (running) statistics.</summary>
    public static Tensor BatchNorm2dInference(Tensor x, Tensor gamma, Tensor beta, Tensor mean, Tensor var, double eps)
    {
        CheckBatchNorm(x, gamma, beta, mean, var);
        using var xd = Dense(x);
        var y = Tensors.Empty(x.Shape, x.DType, x.Device);
        x.Backend.BatchNormInferenceForward(xd.Ref, gamma.Ref, beta.Ref, mean.Ref, var.Ref, eps, y.Ref);
        return y;
    }

    public static (Tensor Gx, Tensor Ggamma, Tensor Gbeta) BatchNorm2dBackward(Tensor x, Tensor gy, Tensor gamma,
        Tensor saveMean, Tensor saveInvStd)
    {
        if (gy.Shape != x.Shape) throw new ShapeException("BatchNorm2dBackward", $"gradient {gy.Shape} differs from input {x.Shape}");
        CheckBatchNorm(x, gamma, saveMean, saveInvStd);
        SameDType("BatchNorm2dBackward", x, gy);
        using var xd = Dense(x);
        using var gyd = Dense(gy);
        var gx = Tensors.Empty(x.Shape, x.DType, x.Device);
        var ggamma = Tensors.Empty(gamma.Shape, x.DType, x.Device);
        var gbeta = Tensors.Empty(gamma.Shape, x.DType, x.Device);
        x.Backend.BatchNormBackward(xd.Ref, gyd.Ref, gamma.Ref, saveMean.Ref, saveInvStd.Ref, gx.Ref, ggamma.Ref, gbeta.Ref);
        return (gx, ggamma, gbeta);
    }

    private static void CheckBatchNorm(Tensor x, params Tensor[] perChannel)
    {
        RankIs("BatchNorm2d", x, 4, "NCHW");
        FloatingPoint("BatchNorm2d", x);
        foreach (var p in perChannel)
        {
            SameDevice("BatchNorm2d", x, p);
            SameDType("BatchNorm2d", x, p);
            if (p.Rank != 1 || p.Shape[0] != x.Shape[1] || !p.IsContiguous)
                throw new ShapeException("BatchNorm2d", $"per-channel tensor {p.Name ?? ""}{p.Shape} does not match {x.Shape[1]} channels of input {x.Shape}");
        }
    }
}
