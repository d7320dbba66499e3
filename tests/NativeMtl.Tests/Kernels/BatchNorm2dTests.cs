using NativeMtl.Kernels;
using NativeMtl.Raw;
using static NativeMtl.Tests.Kernels.NnTestData;

namespace NativeMtl.Tests.Kernels;

// NativeMtl.Tests.Tensor, a namespace, would otherwise hide the type.
using Tensor = NativeMtl.Tensor;

public class BatchNorm2dTests
{
    // The hand-worked batch: x [N=2, C=2, H=1, W=2], laid out n-major.
    //   channel 0 holds n0: [0, 4], n1: [4, 0] → mean 2, deviations ±2, biased var 4, unbiased var 16/3, 1/√4 = 0.5
    //   channel 1 holds n0: [1, 1], n1: [3, 3] → mean 2, deviations ±1, biased var 1, unbiased var 4/3,  1/√1 = 1
    // so x̂ is −1 or +1 everywhere and, with eps = 0, every number below is exact.
    private static readonly double[] Batch = [0, 4, 1, 1, 4, 0, 3, 3];
    private static readonly int[] BatchShape = [2, 2, 1, 2];
    private static readonly double[] Gamma = [3, 0.5];
    private static readonly double[] Beta = [1, -1];

    private static (Tensor Y, Tensor Mean, Tensor InvStd) Train(double[] x, DType dtype, Tensor runningMean, Tensor runningVar,
        double momentum = 0.1, double eps = 0) =>
        Ops.BatchNorm2dTraining(ToTensor(x, dtype, BatchShape), ToTensor(Gamma, dtype, 2), ToTensor(Beta, dtype, 2),
            runningMean, runningVar, momentum, eps);

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void TrainingNormalizesEachChannelWithItsBatchMeanAndBiasedVariance(DType dtype)
    {
        using var scope = DisposeScope.Enter();
        var (y, _, _) = Train(Batch, dtype, ToTensor([0, 0], dtype, 2), ToTensor([1, 1], dtype, 2));
        // channel 0: 3·x̂ + 1 with x̂ = [−1, 1, 1, −1]; channel 1: 0.5·x̂ − 1 with x̂ = [−1, −1, 1, 1]
        AssertClose([-2, 4, -1.5, -1.5, 4, -2, -0.5, -0.5], y, 1e-7);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void TrainingSavesTheBatchMeanAndInverseStandardDeviation(DType dtype)
    {
        using var scope = DisposeScope.Enter();
        var (_, mean, invStd) = Train(Batch, dtype, ToTensor([0, 0], dtype, 2), ToTensor([1, 1], dtype, 2));
        AssertClose([2, 2], mean, 1e-7);
        AssertClose([0.5, 1], invStd, 1e-7);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void TrainingMovesRunningStatisticsOneMomentumStepUsingTheUnbiasedVariance(DType dtype)
    {
        using var scope = DisposeScope.Enter();
        var runningMean = ToTensor([0, 0], dtype, 2);
        var runningVar = ToTensor([1, 1], dtype, 2);
        Train(Batch, dtype, runningMean, runningVar, momentum: 0.1);
        // mean: 0.9·0 + 0.1·2; var: 0.9·1 + 0.1·(16/3) and 0.9·1 + 0.1·(4/3)
        AssertClose([0.2, 0.2], runningMean, 1e-7);
        AssertClose([0.9 + 1.6 / 3, 0.9 + 0.4 / 3], runningVar, 1e-7);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void RunningStatisticsCompoundOverTwoSteps(DType dtype)
    {
        using var scope = DisposeScope.Enter();
        var runningMean = ToTensor([0, 0], dtype, 2);
        var runningVar = ToTensor([1, 1], dtype, 2);
        Train(Batch, dtype, runningMean, runningVar, momentum: 0.1);
        // The second batch is the first doubled: means 4 and 4, unbiased variances 64/3 and 16/3.
        Train(Batch.Select(v => 2 * v).ToArray(), dtype, runningMean, runningVar, momentum: 0.1);
        AssertClose([0.9 * 0.2 + 0.1 * 4, 0.9 * 0.2 + 0.1 * 4], runningMean, 1e-7);
        AssertClose([0.9 * (0.9 + 1.6 / 3) + 6.4 / 3, 0.9 * (0.9 + 0.4 / 3) + 1.6 / 3], runningVar, 1e-6);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void InferenceNormalizesWithTheGivenStatisticsNotTheBatchOnes(DType dtype)
    {
        using var scope = DisposeScope.Enter();
        // y = gamma·(x − mean)/√var + beta with mean [1, −2], var [4, 0.25] (so 1/√var = [0.5, 2]), eps = 0:
        //   channel 0, gamma 3, beta 1:     x [0, 4, 4, 0] → 3·0.5·[−1, 3, 3, −1] + 1 = [−0.5, 5.5, 5.5, −0.5]
        //   channel 1, gamma 0.5, beta −1:  x [1, 1, 3, 3] → 0.5·2·[3, 3, 5, 5] − 1   = [2, 2, 4, 4]
        var y = Ops.BatchNorm2dInference(ToTensor(Batch, dtype, BatchShape), ToTensor(Gamma, dtype, 2), ToTensor(Beta, dtype, 2),
            ToTensor([1, -2], dtype, 2), ToTensor([4, 0.25], dtype, 2), eps: 0);
        AssertClose([-0.5, 5.5, 2, 2, 5.5, -0.5, 4, 4], y, 1e-7);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void TrainingMatchesTheNaiveReference(DType dtype)
    {
        using var scope = DisposeScope.Enter();
        var (n, c, h, w) = (3, 4, 5, 7);
        var x = AsStored(Uniform(n * c * h * w, seed: 1, low: -3, high: 5), dtype);
        var gamma = AsStored(Uniform(c, seed: 2, low: 0.5, high: 2), dtype);
        var beta = AsStored(Uniform(c, seed: 3), dtype);
        var runningMean = AsStored(Uniform(c, seed: 4), dtype);
        var runningVar = AsStored(Uniform(c, seed: 5, low: 0.5, high: 2), dtype);
        var rm = ToTensor(runningMean, dtype, c);
        var rv = ToTensor(runningVar, dtype, c);

        var (y, mean, invStd) = Ops.BatchNorm2dTraining(ToTensor(x, dtype, n, c, h, w), ToTensor(gamma, dtype, c),
            ToTensor(beta, dtype, c), rm, rv, momentum: 0.3, eps: 1e-3);

        var expected = NaiveTraining(x, n, c, h * w, gamma, beta, 1e-3);
        double tolerance = ToleranceFor(dtype);
        AssertClose(expected.Y, y, tolerance);
        AssertClose(expected.Mean, mean, tolerance);
        AssertClose(expected.InvStd, invStd, tolerance);
        AssertClose(runningMean.Select((r, i) => 0.7 * r + 0.3 * expected.Mean[i]).ToArray(), rm, tolerance);
        AssertClose(runningVar.Select((r, i) => 0.7 * r + 0.3 * expected.UnbiasedVar[i]).ToArray(), rv, tolerance);
    }

    [Fact]
    public void TrainingInFloat32StaysAccurateWhenTheMeanDwarfsTheSpread()
    {
        using var scope = DisposeScope.Enter();
        var (n, c, h, w) = (4, 2, 128, 128);
        var x = AsStored(Uniform(n * c * h * w, seed: 6, low: 999, high: 1001), DType.Float32);
        var ones = Enumerable.Repeat(1.0, c).ToArray();
        var zeros = new double[c];

        var (_, mean, invStd) = Ops.BatchNorm2dTraining(ToTensor(x, DType.Float32, n, c, h, w), ToTensor(ones, DType.Float32, c),
            ToTensor(zeros, DType.Float32, c), ToTensor(zeros, DType.Float32, c), ToTensor(ones, DType.Float32, c), 0.1, 1e-5);

        var expected = NaiveTraining(x, n, c, h * w, ones, zeros, 1e-5);
        AssertClose(expected.Mean, mean, 1e-7);
        AssertClose(expected.InvStd, invStd, 1e-5);
    }

    /// <summary>PyTorch's CPU batch norm adds Float32 inputs in double (its acc_type); so do we, every element, so the
    /// mean is the exact sum rounded once. Here the values lie on Float32's grid at 2^20 (steps of 1/8), where a
    /// Float32 running sum drops their fractions; Σx (2^15 a channel) is exact in double whatever the order, so the
    /// saved mean must be it to the last bit.</summary>
    [Fact]
    public void Float32StatisticsAreAddedInDoubleSoTheMeanIsTheExactSumRoundedOnce()
    {
        using var scope = DisposeScope.Enter();
        var (n, c, h, w) = (2, 2, 128, 128);
        var x = Uniform(n * c * h * w, seed: 11, low: 0, high: 8).Select(v => 1048576 + Math.Floor(v) / 8).ToArray();
        var ones = Enumerable.Repeat(1.0, c).ToArray();
        var zeros = new double[c];

        var (_, mean, _) = Ops.BatchNorm2dTraining(ToTensor(x, DType.Float32, n, c, h, w), ToTensor(ones, DType.Float32, c),
            ToTensor(zeros, DType.Float32, c), ToTensor(zeros, DType.Float32, c), ToTensor(ones, DType.Float32, c), 0.1, 1e-5);

        int plane = h * w;
        var exact = Enumerable.Range(0, c).Select(ch => (float)(Enumerable.Range(0, n).Sum(b => x.Skip((b * c + ch) * plane).Take(plane).Sum()) / (n * plane))).ToArray();
        Assert.Equal(exact, mean.ToArray<float>());
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void BackwardMatchesTheNaiveReference(DType dtype)
    {
        using var scope = DisposeScope.Enter();
        var (n, c, h, w) = (2, 3, 4, 5);
        var x = AsStored(Uniform(n * c * h * w, seed: 7, low: -1, high: 3), dtype);
        var gy = AsStored(Uniform(n * c * h * w, seed: 8), dtype);
        var gamma = AsStored(Uniform(c, seed: 9, low: 0.5, high: 2), dtype);
        var xt = ToTensor(x, dtype, n, c, h, w);
        var gammaT = ToTensor(gamma, dtype, c);
        var (_, mean, invStd) = Ops.BatchNorm2dTraining(xt, gammaT, PerChannel(0, c, dtype),
            PerChannel(0, c, dtype), PerChannel(1, c, dtype), 0.1, 1e-4);

        var (gx, ggamma, gbeta) = Ops.BatchNorm2dBackward(xt, ToTensor(gy, dtype, n, c, h, w), gammaT, mean, invStd);

        var expected = NaiveBackward(x, gy, n, c, h * w, gamma, 1e-4);
        double tolerance = ToleranceFor(dtype);
        AssertClose(expected.Gx, gx, tolerance);
        AssertClose(expected.Ggamma, ggamma, tolerance);
        AssertClose(expected.Gbeta, gbeta, tolerance);
    }

    [Fact]
    public void BackwardMatchesCentralFiniteDifferencesOfAWeightedSumOfTheOutput()
    {
        using var scope = DisposeScope.Enter();
        var (n, c, h, w) = (2, 3, 3, 2);
        int size = n * c * h * w;
        var x = Uniform(size, seed: 10, low: -1, high: 2);
        var gamma = Uniform(c, seed: 11, low: 0.5, high: 2);
        var beta = Uniform(c, seed: 12);
        var weights = Uniform(size, seed: 13);
        const double eps = 1e-5;

        // f(x, gamma, beta) = Σ weights·BN(x); its gradient is the backward pass of gy = weights.
        double F(double[] xs, double[] gs, double[] bs)
        {
            using var inner = DisposeScope.Enter();
            var (y, _, _) = Ops.BatchNorm2dTraining(Tensors.FromArray(xs, n, c, h, w), Tensors.FromArray(gs, c), Tensors.FromArray(bs, c),
                PerChannel(0, c, DType.Float64), PerChannel(1, c, DType.Float64), 0.1, eps);
            return y.ToArray<double>().Zip(weights, (a, b) => a * b).Sum();
        }

        var xt = Tensors.FromArray(x, n, c, h, w);
        var gammaT = Tensors.FromArray(gamma, c);
        var (_, mean, invStd) = Ops.BatchNorm2dTraining(xt, gammaT, Tensors.FromArray(beta, c),
            PerChannel(0, c, DType.Float64), PerChannel(1, c, DType.Float64), 0.1, eps);
        var (gx, ggamma, gbeta) = Ops.BatchNorm2dBackward(xt, Tensors.FromArray(weights, n, c, h, w), gammaT, mean, invStd);

        TestData.GradientClose(TestData.CentralDifferences(x, v => F(v, gamma, beta)), gx.ToArray<double>());
        TestData.GradientClose(TestData.CentralDifferences(gamma, v => F(x, v, beta)), ggamma.ToArray<double>());
        TestData.GradientClose(TestData.CentralDifferences(beta, v => F(x, gamma, v)), gbeta.ToArray<double>());
    }

    private static Tensor PerChannel(double value, int channels, DType dtype) => Tensors.Full(new Shape(channels), value, dtype);

    /// <summary>torch.nn.BatchNorm2d in training mode, written as loops over the definition in double.</summary>
    private static (double[] Y, double[] Mean, double[] InvStd, double[] UnbiasedVar) NaiveTraining(double[] x, int n, int c,
        int planeSize, double[] gamma, double[] beta, double eps)
    {
        int m = n * planeSize;
        var mean = new double[c];
        var invStd = new double[c];
        var unbiased = new double[c];
        var y = new double[x.Length];
        for (int ch = 0; ch < c; ch++)
        {
            var values = ChannelIndices(n, c, planeSize, ch).Select(i => x[i]).ToArray();
            mean[ch] = values.Sum() / m;
            double squares = values.Sum(v => (v - mean[ch]) * (v - mean[ch]));
            invStd[ch] = 1 / Math.Sqrt(squares / m + eps);
            unbiased[ch] = squares / (m - 1);
            foreach (int i in ChannelIndices(n, c, planeSize, ch))
                y[i] = gamma[ch] * (x[i] - mean[ch]) * invStd[ch] + beta[ch];
        }
        return (y, mean, invStd, unbiased);
    }

    /// <summary>gx = gamma·invstd/M·(M·gy − Σgy − x̂·Σ(gy·x̂)), ggamma = Σ gy·x̂, gbeta = Σ gy, in double.</summary>
    private static (double[] Gx, double[] Ggamma, double[] Gbeta) NaiveBackward(double[] x, double[] gy, int n, int c,
        int planeSize, double[] gamma, double eps)
    {
        var (_, mean, invStd, _) = NaiveTraining(x, n, c, planeSize, gamma, new double[c], eps);
        int m = n * planeSize;
        var gx = new double[x.Length];
        var ggamma = new double[c];
        var gbeta = new double[c];
        for (int ch = 0; ch < c; ch++)
        {
            var indices = ChannelIndices(n, c, planeSize, ch).ToArray();
            double XHat(int i) => (x[i] - mean[ch]) * invStd[ch];
            gbeta[ch] = indices.Sum(i => gy[i]);
            ggamma[ch] = indices.Sum(i => gy[i] * XHat(i));
            foreach (int i in indices)
                gx[i] = gamma[ch] * invStd[ch] / m * (m * gy[i] - gbeta[ch] - XHat(i) * ggamma[ch]);
        }
        return (gx, ggamma, gbeta);
    }

    private static IEnumerable<int> ChannelIndices(int n, int c, int planeSize, int ch) =>
        Enumerable.Range(0, n).SelectMany(b => Enumerable.Range((b * c + ch) * planeSize, planeSize));
}
