using NativeMtl.Kernels;

namespace NativeMtl.Tests.Emulation;

/// <summary>The device's Philox streams against the CPU's: uniform values bit for bit; normal values through
/// Box–Muller with the prelude's own log and cos, within one Float32 ulp or a few Float64 ulps.</summary>
public class RandomKernelTests
{
    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void UniformSamplesEqualTheCpuBitForBit(DType dtype)
    {
        using var y = Twin.Blank(dtype, 3000);
        Emulated.OnBoth(b => b.Random(y.On(b, [3000]), RandomDistribution.Uniform, seed: 0x1234_5678_9ABCUL, offset: (1UL << 32) - 1000, -1.5, 2.5));
        y.AssertEqual();
    }

    [Fact]
    public void Float32NormalSamplesAreWithinOneUlpOfTheCpu()
    {
        using var y = Twin.Blank(DType.Float32, 3000);
        Emulated.OnBoth(b => b.Random(y.On(b, [3000]), RandomDistribution.Normal, seed: 7, offset: 11, 0.5, 2));
        var (cpu, gpu) = (y.Cpu(), y.Gpu());
        for (int i = 0; i < cpu.Length; i++)
            Assert.True(Math.Abs(cpu[i] - gpu[i]) <= Math.Abs(MathF.BitIncrement((float)cpu[i]) - (float)cpu[i]), $"sample {i}: CPU {cpu[i]:R}, emulated CUDA {gpu[i]:R}");
    }

    [Fact]
    public void Float64NormalSamplesAgreeWithTheCpuToFourteenDigits()
    {
        using var y = Twin.Blank(DType.Float64, 3000);
        Emulated.OnBoth(b => b.Random(y.On(b, [3000]), RandomDistribution.Normal, seed: 99, offset: 5, -1, 0.25));
        y.AssertClose(1e-14);
    }
}
