namespace NativeMtl.Models;

/// <summary>torch.nn.Linear: y = x·Wᵀ + b with weight [out, in], for x [N, in].</summary>
public sealed class Linear : Layer
{
    public Linear(int inFeatures, int outFeatures, Generator generator, bool bias = true, DType dtype = DType.Float32, Device? device = null)
    {
        Weight = AddParameter("weight", Init.DefaultUniform(new Shape(outFeatures, inFeatures), inFeatures, generator, dtype, device));
        Bias = bias ? AddParameter("bias", Init.DefaultUniform(new Shape(outFeatures), inFeatures, generator, dtype, device)) : null;
    }

    public Parameter Weight { get; }

    public Parameter? Bias { get; }

    protected override Tensor ForwardCore(Tensor x)
    {
        var y = F.Matmul(x, F.Transpose(Weight, 0, 1));
        return Bias is null ? y : F.Add(y, Bias);
    }
}
