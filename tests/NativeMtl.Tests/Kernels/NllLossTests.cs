using NativeMtl.Raw;

namespace NativeMtl.Tests.Kernels;

public class NllLossTests
{
    private const int Ignore = -100;

    [Fact]
    public void LossIsTheNegatedLogProbabilityOfEachTarget()
    {
        // Sample 0 picks class 2 (−0.5 → 0.5), sample 1 picks class 0 (−2.25 → 2.25).
        using var logProbs = Tensors.FromArray([-1f, -1.5f, -0.5f, -2.25f, -0.75f, -3f], 2, 3);
        using var target = Tensors.FromArray([2, 0], 2);
        var (loss, valid) = Ops.NllLoss(logProbs, target, Ignore);
        using (loss)
        using (valid)
        {
            Assert.Equal([0.5f, 2.25f], loss.ToArray<float>());
            Assert.Equal([1f, 1f], valid.ToArray<float>());
        }
    }

    [Fact]
    public void IgnoredPositionsHaveZeroLossAndZeroValidity()
    {
        // [N=1, C=2, 3 positions]: class 0 row (−1, −2, −3), class 1 row (−4, −5, −6); targets (1, ignore, 0).
        using var logProbs = Tensors.FromArray([-1.0, -2, -3, -4, -5, -6], 1, 2, 3);
        using var target = Tensors.FromArray([1, Ignore, 0], 1, 3);
        var (loss, valid) = Ops.NllLoss(logProbs, target, Ignore);
        using (loss)
        using (valid)
        {
            Assert.Equal([4.0, 0, 3], loss.ToArray<double>());
            Assert.Equal([1.0, 0, 1], valid.ToArray<double>());
        }
    }

    [Fact]
    public void IgnoreIndexInsideTheClassRangeIsStillIgnored()
    {
        using var logProbs = Tensors.FromArray([-1.0, -2, -3, -4], 2, 2);
        using var target = Tensors.FromArray([0, 1], 2);
        var (loss, valid) = Ops.NllLoss(logProbs, target, ignoreIndex: 0);
        using (loss)
        using (valid)
        {
            Assert.Equal([0.0, 4], loss.ToArray<double>());
            Assert.Equal([0.0, 1], valid.ToArray<double>());
        }
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void SpatialLossMatchesNaiveReference(DType dtype)
    {
        int n = 2, c = 4, h = 3, w = 5;
        var random = new Random(1);
        var scores = Enumerable.Range(0, n * c * h * w).Select(_ => (double)(float)(-3 * random.NextDouble())).ToArray();
        var targets = Enumerable.Range(0, n * h * w).Select(_ => random.Next(5) == 0 ? Ignore : random.Next(c)).ToArray();
        using var logProbs = Make(scores, dtype, n, c, h, w);
        using var target = Tensors.FromArray(targets, n, h, w);
        var (loss, valid) = Ops.NllLoss(logProbs, target, Ignore);
        using (loss)
        using (valid)
        {
            var (expectedLoss, expectedValid) = NaiveNll(scores, targets, n, c, h * w);
            Assert.Equal(expectedLoss, Read(loss));
            Assert.Equal(expectedValid, Read(valid));
        }
    }

    [Fact]
    public void ManyPositionsSplitAcrossThreadsMatchNaiveReference()
    {
        int n = 3, c = 5, inner = 40_000;
        var random = new Random(2);
        var scores = Enumerable.Range(0, n * c * inner).Select(_ => -random.NextDouble()).ToArray();
        var targets = Enumerable.Range(0, n * inner).Select(_ => random.Next(10) == 0 ? Ignore : random.Next(c)).ToArray();
        using var logProbs = Tensors.FromArray(scores, n, c, inner);
        using var target = Tensors.FromArray(targets, n, inner);
        var (loss, valid) = Ops.NllLoss(logProbs, target, Ignore);
        using (loss)
        using (valid)
        {
            var (expectedLoss, expectedValid) = NaiveNll(scores, targets, n, c, inner);
            Assert.Equal(expectedLoss, loss.ToArray<double>());
            Assert.Equal(expectedValid, valid.ToArray<double>());
        }
    }

    [Fact]
    public void AllPositionsIgnoredGiveZeroLossAndValidityEvenOverNaNScores()
    {
        using var logProbs = Tensors.Full(new Shape(2, 3, 2), double.NaN);
        using var target = Tensors.Full(new Shape(2, 2), Ignore, DType.Int32);
        var (loss, valid) = Ops.NllLoss(logProbs, target, Ignore);
        using (loss)
        using (valid)
        {
            Assert.Equal(new float[4], loss.ToArray<float>());
            Assert.Equal(new float[4], valid.ToArray<float>());
        }
    }

    [Theory]
    [InlineData(3)]
    [InlineData(-1)]
    public void OutOfRangeTargetErrorNamesTheValueItsPositionAndTheCpuCheck(int bad)
    {
        using var logProbs = Tensors.Zeros(new Shape(2, 3, 2, 2));
        var targets = new[] { 0, 1, 2, Ignore, 0, bad, 1, bad };
        using var target = Tensors.FromArray(targets, 2, 2, 2);
        var e = Assert.Throws<ArgumentException>(() => Ops.NllLoss(logProbs, target, Ignore));
        Assert.Contains($"target {bad} at position [1, 0, 1]", e.Message);
        Assert.Contains("outside [0, 3)", e.Message);
        Assert.Contains("CPU", e.Message);
    }

    [Fact]
    public void BackwardPutsTheNegatedGradientAtEachTargetAndZeroElsewhere()
    {
        // [N=1, C=3, 2 positions], targets (2, ignore), gLoss (0.5, 7): only class 2 of position 0 gets −0.5.
        using var gLoss = Tensors.FromArray([0.5, 7], 1, 2);
        using var target = Tensors.FromArray([2, Ignore], 1, 2);
        using var g = Ops.NllLossBackward(gLoss, target, Ignore, new Shape(1, 3, 2));
        Assert.Equal([0.0, 0, 0, 0, -0.5, 0], g.ToArray<double>());
    }

    [Fact]
    public void SpatialBackwardMatchesNaiveReference()
    {
        int n = 2, c = 3, inner = 6;
        var random = new Random(3);
        var gradients = Enumerable.Range(0, n * inner).Select(_ => random.NextDouble()).ToArray();
        var targets = Enumerable.Range(0, n * inner).Select(_ => random.Next(4) == 0 ? Ignore : random.Next(c)).ToArray();
        var expected = new double[n * c * inner];
        for (int s = 0; s < n; s++)
            for (int i = 0; i < inner; i++)
                if (targets[s * inner + i] != Ignore)
                    expected[(s * c + targets[s * inner + i]) * inner + i] = -gradients[s * inner + i];
        using var gLoss = Tensors.FromArray(gradients, n, 2, 3);
        using var target = Tensors.FromArray(targets, n, 2, 3);
        using var g = Ops.NllLossBackward(gLoss, target, Ignore, new Shape(n, c, 2, 3));
        Assert.Equal(expected, g.ToArray<double>());
    }

    [Fact]
    public void BackwardRejectsAnOutOfRangeTarget()
    {
        using var gLoss = Tensors.Ones(new Shape(2));
        using var target = Tensors.FromArray([1, 5], 2);
        var e = Assert.Throws<ArgumentException>(() => Ops.NllLossBackward(gLoss, target, Ignore, new Shape(2, 3)));
        Assert.Contains("target 5 at position [1]", e.Message);
    }

    private static (double[] Loss, double[] Valid) NaiveNll(double[] scores, int[] targets, int n, int c, int inner)
    {
        var loss = new double[n * inner];
        var valid = new double[n * inner];
        for (int s = 0; s < n; s++)
            for (int i = 0; i < inner; i++)
            {
                int t = targets[s * inner + i];
                if (t == Ignore) continue;
                loss[s * inner + i] = -scores[(s * c + t) * inner + i];
                valid[s * inner + i] = 1;
            }
        return (loss, valid);
    }

    private static NativeMtl.Tensor Make(double[] data, DType dtype, params int[] shape) => dtype == DType.Float64
        ? Tensors.FromArray(data, shape)
        : Tensors.FromArray(data.Select(v => (float)v).ToArray(), shape);

    private static double[] Read(NativeMtl.Tensor t) => t.DType == DType.Float64
        ? t.ToArray<double>()
        : t.ToArray<float>().Select(v => (double)v).ToArray();
}
