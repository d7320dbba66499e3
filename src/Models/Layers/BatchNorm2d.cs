namespace NativeMtl.Models;

/// <summary>torch.nn.BatchNorm2d: weight (γ) 1, bias (β) 0, running_mean 0, running_var 1, momentum 0.1.</summary>
public sealed class BatchNorm2d : Layer
{
    public BatchNorm2d(int channels, double momentum = 0.1, double eps = 1e-5, DType dtype = DType.Float32, Device? device = null)
    {
        Momentum = momentum;
        Eps = eps;
        Weight = AddParameter("weight", Tensors.Ones(new Shape(channels), dtype, device));
        Bias = AddParameter("bias", Tensors.Zeros(new Shape(channels), dtype, device));
        RunningMean = AddBuffer("running_mean", Tensors.Zeros(new Shape(channels), dtype, device));
        RunningVar = AddBuffer("running_var", Tensors.Ones(new Shape(channels), dtype, device));
    }

    public Parameter Weight { get; }

    public Parameter Bias { get; }

    public Tensor RunningMean { get; }

    public Tensor RunningVar { get; }

    public double Momentum { get; }

    public double Eps { get; }

    protected override Tensor ForwardCore(Tensor x) =>
        F.BatchNorm2d(x, Weight, Bias, RunningMean, RunningVar, Training, Momentum, Eps);
}
