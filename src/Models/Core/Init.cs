namespace NativeMtl.Models;

/// <summary>Initial values, as torch.nn.init draws them (same distributions; the stream is Philox's).</summary>
public static class Init
{
    /// <summary>U(−bound, bound).</summary>
    public static Tensor Uniform(Shape shape, double bound, Generator generator, DType dtype = DType.Float32, Device? device = null) =>
        Tensors.Uniform(shape, generator, -bound, bound, dtype, device);

    /// <summary>PyTorch's default for Conv2d and Linear weights and biases: kaiming_uniform(a = √5), which is
    /// U(−1/√fan_in, 1/√fan_in).</summary>
    public static Tensor DefaultUniform(Shape shape, int fanIn, Generator generator, DType dtype = DType.Float32, Device? device = null) =>
        Uniform(shape, 1 / Math.Sqrt(fanIn), generator, dtype, device);

    /// <summary>kaiming_normal(mode = fan_out, nonlinearity = relu): N(0, 2/fan_out), torchvision's ResNet convolutions.</summary>
    public static Tensor KaimingNormalFanOut(Shape shape, int fanOut, Generator generator, DType dtype = DType.Float32, Device? device = null) =>
        Tensors.Normal(shape, generator, 0, Math.Sqrt(2.0 / fanOut), dtype, device);
}
