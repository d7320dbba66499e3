using NativeMtl;
using NativeMtl.Kernels;
using NativeMtl.Kernels.Cuda;
using NativeMtl.Raw;

namespace FocalLoss.Tests;

/// <summary>focal_loss.cu in NativeMtl's host emulator (g++, no GPU) against the CPU implementation, element by element.</summary>
public class FocalLossKernelTests
{
    private static readonly HostEmulator Emulator = new([FocalLossKernel.Module]);

    /// <summary>2 samples, 5 classes, 13×21 pixels: 546 pixels, so blocks of 256 leave a partial last one; every 7th
    /// pixel carries the ignore label.</summary>
    private static (Tensor Logits, Tensor Labels) Batch(DType dtype)
    {
        var logits = Ops.Cast(Tensors.Normal(new Shape(2, 5, 13, 21), new Generator(11), dtype: DType.Float64), dtype);
        var labels = Enumerable.Range(0, 2 * 13 * 21).Select(i => i % 7 == 0 ? -1 : i * 31 % 5).ToArray();
        return (logits, Tensors.FromArray(labels, new Shape(2, 13, 21)));
    }

    [Theory]
    [InlineData(DType.Float64, 1e-12)]
    [InlineData(DType.Float32, 1e-5)]
    public void TheKernelGivesTheCpusLossesAndGradients(DType dtype, double tolerance)
    {
        var (logits, labels) = Batch(dtype);
        var (cpuLoss, cpuGradient) = FocalLossCpu.Forward(logits, labels, gamma: 2, ignoreIndex: -1);
        var (loss, gradient) = FocalLossKernel.Forward(Ops.To(logits, Emulator.Device), Ops.To(labels, Emulator.Device), gamma: 2, ignoreIndex: -1);
        AssertClose(cpuLoss, loss, tolerance);
        AssertClose(cpuGradient, gradient, tolerance);
    }

    [Fact]
    public void TheFunctionRunsTheKernelOnACudaDeviceAndItsBackwardRuleToo()
    {
        var (logits, labels) = Batch(DType.Float64);
        var onDevice = Ops.To(logits, Emulator.Device);
        onDevice.RequiresGrad = true;
        F.Sum(FocalLossFunction.PerPixel(onDevice, Ops.To(labels, Emulator.Device), gamma: 2)).Backward();
        var (_, cpuGradient) = FocalLossCpu.Forward(logits, labels, gamma: 2, ignoreIndex: -1);
        AssertClose(cpuGradient, onDevice.Grad!, 1e-12);
    }

    private static void AssertClose(Tensor expected, Tensor actual, double tolerance)
    {
        var e = Ops.Cast(expected, DType.Float64).ToArray<double>();
        var a = Ops.Cast(Ops.To(actual, Device.Cpu), DType.Float64).ToArray<double>();
        Assert.Equal(e.Length, a.Length);
        for (int i = 0; i < e.Length; i++)
            Assert.True(Math.Abs(e[i] - a[i]) <= tolerance * Math.Max(1, Math.Abs(e[i])), $"element {i}: expected {e[i]}, got {a[i]}");
    }
}
