using NativeMtl.Kernels.Cuda;
using NativeMtl.Kernels.Cuda.Native;

namespace NativeMtl.Tests.Kernels;

/// <summary>Which convolution algorithm the CUDA backend runs from cuDNN's heuristic ranking: the workspace cap
/// decides first, FMA math second, the ranking third. Runs without a GPU: the choice is a function of the ranking.</summary>
public class CudnnAlgorithmChoiceTests
{
    private const int Failed = 9, TensorOpMath = 1;

    private static Cudnn.AlgorithmPerformance Ranked(int algorithm, long workspace, int math = Cudnn.FmaMath, int status = Cudnn.StatusSuccess) =>
        new() { Algorithm = algorithm, Status = status, Memory = (nuint)workspace, MathType = math };

    [Fact]
    public void TheFirstRankedFmaAlgorithmWithinTheCapRuns()
    {
        Cudnn.AlgorithmPerformance[] ranked = [Ranked(6, 900 << 20), Ranked(1, 100 << 20, TensorOpMath), Ranked(7, 50 << 20), Ranked(0, 0)];
        Assert.Equal(7, CudaBackend.ChooseAlgorithm(ranked, 256L << 20));
    }

    [Fact]
    public void AnAlgorithmOverTheCapIsPassedOverEvenWhenRankedFirst()
    {
        Cudnn.AlgorithmPerformance[] ranked = [Ranked(6, 300L << 20), Ranked(0, 0)];
        Assert.Equal(0, CudaBackend.ChooseAlgorithm(ranked, 256L << 20));
        Assert.Equal(6, CudaBackend.ChooseAlgorithm(ranked, 300L << 20));
    }

    [Fact]
    public void WithoutAnFmaAlgorithmInTheCapTheFirstThatFitsRuns()
    {
        Cudnn.AlgorithmPerformance[] ranked = [Ranked(5, 1L << 30), Ranked(1, 10 << 20, TensorOpMath), Ranked(2, 20 << 20, TensorOpMath)];
        Assert.Equal(1, CudaBackend.ChooseAlgorithm(ranked, 256L << 20));
    }

    [Fact]
    public void WhenNothingFitsTheSmallestWorkspaceRunsAndFailuresNever()
    {
        Cudnn.AlgorithmPerformance[] ranked = [Ranked(3, 0, status: Failed), Ranked(5, 2L << 30), Ranked(4, 1L << 30), Ranked(6, 3L << 30)];
        Assert.Equal(4, CudaBackend.ChooseAlgorithm(ranked, 256L << 20));
        Assert.Equal(-1, CudaBackend.ChooseAlgorithm([Ranked(3, 0, status: Failed)], 256L << 20));
    }
}
