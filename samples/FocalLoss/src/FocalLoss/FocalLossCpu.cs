using NativeMtl;
using NativeMtl.Raw;

namespace FocalLoss;

/// <summary>The focal loss and its gradient on the host, pixel by pixel, in Float64 whatever the logits' dtype (the
/// reference the CUDA kernel is tested against).</summary>
public static class FocalLossCpu
{
    public static (Tensor Loss, Tensor Gradient) Forward(Tensor logits, Tensor labels, double gamma, int ignoreIndex)
    {
        int n = logits.Shape[0], c = logits.Shape[1], pixels = logits.Shape[2] * logits.Shape[3];
        var z = Ops.Cast(Ops.Contiguous(logits), DType.Float64).ToArray<double>();
        var y = Ops.Contiguous(labels).ToArray<int>();
        var loss = new double[n * pixels];
        var gradient = new double[z.Length];
        var p = new double[c];
        for (int i = 0; i < n; i++)
            for (int q = 0; q < pixels; q++)
            {
                int label = y[i * pixels + q];
                if (label == ignoreIndex) continue;
                if (label < 0 || label >= c) throw new ArgumentException($"FocalLoss: label {label} at sample {i}, pixel {q} is outside [0, {c}) and is not the ignore label {ignoreIndex}");
                int at(int channel) => (i * c + channel) * pixels + q;
                double max = double.NegativeInfinity, sum = 0;
                for (int k = 0; k < c; k++) max = Math.Max(max, z[at(k)]);
                for (int k = 0; k < c; k++) sum += p[k] = Math.Exp(z[at(k)] - max);
                for (int k = 0; k < c; k++) p[k] /= sum;
                double pt = p[label], logPt = z[at(label)] - max - Math.Log(sum), rest = 1 - pt;
                loss[i * pixels + q] = -Math.Pow(rest, gamma) * logPt;
                // dFL/dp_y, times dp_y/dz_k = p_y (δ_ky − p_k).
                double dPt = (gamma == 0 ? 0 : gamma * Math.Pow(rest, gamma - 1) * logPt) - Math.Pow(rest, gamma) / pt;
                for (int k = 0; k < c; k++) gradient[at(k)] = dPt * pt * ((k == label ? 1 : 0) - p[k]);
            }
        var lossTensor = Tensors.FromArray(loss, new Shape(n, logits.Shape[2], logits.Shape[3]));
        var gradientTensor = Tensors.FromArray(gradient, logits.Shape);
        return logits.DType == DType.Float64 ? (lossTensor, gradientTensor) : (Ops.Cast(lossTensor, logits.DType), Ops.Cast(gradientTensor, logits.DType));
    }
}
