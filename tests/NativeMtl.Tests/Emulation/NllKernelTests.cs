using NativeMtl.Kernels.Cuda;

namespace NativeMtl.Tests.Emulation;

public class NllKernelTests
{
    private static double[] Targets(int count, int classes) =>
        Enumerable.Range(0, count).Select(i => (double)(i % 7 == 3 ? -100 : i * 5 % classes)).ToArray();

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void ForwardPicksMinusTheTargetsLogProbabilityAndMarksIgnoredPositions(DType dtype)
    {
        using var logProbs = Twin.Random(dtype, 3 * 5 * 97, 1, -5, 0);
        using var target = Twin.Of(DType.Int32, Targets(3 * 97, 5));
        using var loss = Twin.Blank(dtype, 3 * 97);
        using var valid = Twin.Blank(dtype, 3 * 97);
        Emulated.OnBoth(b => b.NllLoss(logProbs.On(b, [3, 5, 97]), target.On(b, [3, 97]), -100, loss.On(b, [3, 97]), valid.On(b, [3, 97])));
        loss.AssertEqual();
        valid.AssertEqual();
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void BackwardWritesMinusTheGradientAtEachTargetAndZeroElsewhere(DType dtype)
    {
        using var gLoss = Twin.Random(dtype, 3 * 97, 2);
        using var target = Twin.Of(DType.Int32, Targets(3 * 97, 5));
        using var gLogProbs = Twin.Blank(dtype, 3 * 5 * 97);
        Emulated.OnBoth(b => b.NllLossBackward(gLoss.On(b, [3, 97]), target.On(b, [3, 97]), -100, gLogProbs.On(b, [3, 5, 97])));
        gLogProbs.AssertEqual();
    }

    [Fact]
    public void ATargetOutOfRangeIsReportedAtTheNextSynchronizationWithItsPosition()
    {
        var targets = Targets(2 * 40, 4);
        targets[57] = 4;
        targets[63] = -1;
        using var logProbs = Twin.Random(DType.Float32, 2 * 4 * 40, 3, -5, 0);
        using var target = Twin.Of(DType.Int32, targets);
        using var loss = Twin.Blank(DType.Float32, 80);
        using var valid = Twin.Blank(DType.Float32, 80);
        // A backend of its own: the error it holds until the next wait must not surface in a test running beside it.
        var gpu = new CudaBackend(Emulated.Memory, Emulated.Launcher, Device.Cuda(0));
        gpu.NllLoss(logProbs.On(gpu, [2, 4, 40]), target.On(gpu, [2, 40]), -100, loss.On(gpu, [2, 40]), valid.On(gpu, [2, 40]));
        var error = Assert.Throws<ArgumentException>(gpu.Synchronize);
        Assert.Equal("NllLoss: the target at flat position 57 is outside [0, 4) and is not the ignore index -100 " +
            "(found on the device; reported at the first synchronization after the op was queued)", error.Message);
        gpu.Synchronize();
    }
}
