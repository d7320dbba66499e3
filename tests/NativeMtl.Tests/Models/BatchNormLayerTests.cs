using NativeMtl.Models;
using NativeMtl.Raw;

namespace NativeMtl.Tests.Models;

/// <summary>The batch-norm layer in its two modes, on one channel of four values 1, 2, 3, 6 (batch mean 3, biased
/// variance 14/4 = 3.5, unbiased 14/3), worked by hand.</summary>
public class BatchNormLayerTests
{
    private static readonly float[] Values = [1, 2, 3, 6];

    private static Tensor Batch() => Tensors.FromArray(Values, 2, 1, 1, 2);

    [Fact]
    public void InTrainingModeItNormalisesByTheBatchStatistics()
    {
        using var scope = DisposeScope.Enter();
        using var bn = new BatchNorm2d(1);
        double std = Math.Sqrt(3.5 + 1e-5);
        var y = bn.Forward(Batch()).ToArray<float>();
        TestData.Close(Values.Select(v => (v - 3) / std).ToArray(), y.Select(v => (double)v).ToArray(), 1e-6);
    }

    [Fact]
    public void InTrainingModeTheRunningStatisticsMoveTowardsTheBatchByTheMomentum()
    {
        using var scope = DisposeScope.Enter();
        using var bn = new BatchNorm2d(1, momentum: 0.25);
        bn.Forward(Batch());
        Assert.Equal(0.75 * 0 + 0.25 * 3, bn.RunningMean.ToArray<float>()[0], 6);
        Assert.Equal(0.75 * 1 + 0.25 * 14.0 / 3, bn.RunningVar.ToArray<float>()[0], 6);
    }

    [Fact]
    public void InEvaluationModeItUsesTheRunningStatisticsWithItsScaleAndShift()
    {
        using var scope = DisposeScope.Enter();
        using var bn = Evaluating();
        var y = bn.Forward(Batch()).ToArray<float>();
        TestData.Close(Values.Select(v => 3 * (v - 2) / Math.Sqrt(4 + 1e-5) + 0.5).ToArray(), y.Select(v => (double)v).ToArray(), 1e-6);
    }

    [Fact]
    public void InEvaluationModeTheRunningStatisticsStayAsTheyWere()
    {
        using var scope = DisposeScope.Enter();
        using var bn = Evaluating();
        bn.Forward(Batch());
        Assert.Equal([2f], bn.RunningMean.ToArray<float>());
        Assert.Equal([4f], bn.RunningVar.ToArray<float>());
    }

    [Fact]
    public void BackInTrainingModeItUsesTheBatchAgainAndUpdatesTheRunningStatistics()
    {
        using var scope = DisposeScope.Enter();
        using var bn = Evaluating();
        bn.Train();
        var y = bn.Forward(Batch()).ToArray<float>();
        TestData.Close(Values.Select(v => 3 * (v - 3) / Math.Sqrt(3.5 + 1e-5) + 0.5).ToArray(), y.Select(v => (double)v).ToArray(), 1e-6);
        Assert.Equal(0.9 * 2 + 0.1 * 3, bn.RunningMean.ToArray<float>()[0], 6);
        Assert.Equal(0.9 * 4 + 0.1 * 14.0 / 3, bn.RunningVar.ToArray<float>()[0], 6);
    }

    /// <summary>A layer in evaluation mode with γ 3, β 0.5, running mean 2 and running variance 4.</summary>
    private static BatchNorm2d Evaluating()
    {
        var bn = new BatchNorm2d(1);
        Ops.FillInto(bn.Weight.Value, 3);
        Ops.FillInto(bn.Bias.Value, 0.5);
        Ops.FillInto(bn.RunningMean, 2);
        Ops.FillInto(bn.RunningVar, 4);
        bn.Eval();
        return bn;
    }
}
