using System.Numerics;

namespace NativeMtl.Kernels.Cpu;

/// <summary>Masked L1, forward and backward fused: one pass sums the masked errors and the mask while writing
/// the unscaled gradient mask·sign(d); a second pass over the gradient alone applies 1 / max(Σ mask, 1).</summary>
public sealed unsafe partial class CpuBackend
{
    public void MaskedL1(TensorRef pred, TensorRef target, TensorRef mask, TensorRef loss, TensorRef gradient)
    {
        if (IsDouble(pred, "MaskedL1")) MaskedL1<double>(pred, target, mask, loss, gradient);
        else MaskedL1<float>(pred, target, mask, loss, gradient);
    }

    private static void MaskedL1<T>(TensorRef pred, TensorRef target, TensorRef mask, TensorRef loss, TensorRef gradient)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        long count = pred.Count;
        T* p = pred.Ptr<T>(), t = target.Ptr<T>(), m = mask.Ptr<T>(), g = gradient.Ptr<T>();
        var partials = ParallelPartials(count, (from, to) =>
        {
            double errors = 0, weights = 0;
            for (long i = from; i < to; i++)
            {
                T d = p[i] - t[i];
                errors += double.CreateTruncating(m[i] * T.Abs(d));
                weights += double.CreateTruncating(m[i]);
                g[i] = d == T.Zero || T.IsNaN(d) ? d * m[i] : m[i] * T.CreateTruncating(T.Sign(d));
            }
            return (errors, weights);
        });
        double errorSum = 0, maskSum = 0;
        foreach (var (errors, weights) in partials)
        {
            errorSum += errors;
            maskSum += weights;
        }
        double scale = 1 / Math.Max(maskSum, 1);
        *loss.Ptr<T>() = T.CreateTruncating(errorSum * scale);
        T s = T.CreateTruncating(scale);
        ParallelRange(count, (from, to) =>
        {
            for (long i = from; i < to; i++) g[i] *= s;
        });
    }
}
