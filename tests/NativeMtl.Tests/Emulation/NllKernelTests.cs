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

    /// <summary>800 positions on two blocks of 256 threads: block 0 holds positions 0–255 and 512–767, block 1 holds
    /// 256–511 and 768–799, and the emulator runs block 1 first. With the smallest bad position in the block that
    /// runs second, a kernel that keeps the last position written fails; with it in the block that runs first, one
    /// that keeps the first fails. Only an atomic minimum passes both.</summary>
    [Theory]
    [InlineData(300, 600)]
    [InlineData(100, 300)]
    public void ATargetOutOfRangeIsReportedAtTheNextSynchronizationWithTheSmallestPosition(int smallest, int other)
    {
        var targets = Targets(2 * 400, 4);
        targets[other] = -1;
        targets[smallest] = 4;
        using var logProbs = Twin.Random(DType.Float32, 2 * 4 * 400, 3, -5, 0);
        using var target = Twin.Of(DType.Int32, targets);
        using var loss = Twin.Blank(DType.Float32, 800);
        using var valid = Twin.Blank(DType.Float32, 800);
        // A backend of its own: the error it holds until the next wait must not surface in a test running beside it.
        var gpu = new CudaBackend(Emulated.Memory, Emulated.Launcher, Emulated.Device, Emulated.Limits);
        gpu.NllLoss(logProbs.On(gpu, [2, 4, 400]), target.On(gpu, [2, 400]), -100, loss.On(gpu, [2, 400]), valid.On(gpu, [2, 400]));
        var error = Assert.Throws<ArgumentException>(gpu.Synchronize);
        Assert.Equal($"NllLoss: the target at flat position {smallest} is outside [0, 4) and is not the ignore index -100 " +
            "(found on the device; reported at the first synchronization after the op was queued)", error.Message);
        gpu.Synchronize();
    }
}
