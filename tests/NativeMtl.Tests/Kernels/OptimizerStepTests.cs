using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Tests.Kernels;

using Tensor = NativeMtl.Tensor;

public class OptimizerStepTests
{
    [Fact]
    public void PlainSgdMovesAgainstTheGradientByTheLearningRate()
    {
        // (1, −2) − 0.1·(0.5, 0.25) = (0.95, −2.025)
        using var param = Tensors.FromArray([1.0, -2], 2);
        using var grad = Tensors.FromArray([0.5, 0.25], 2);
        Ops.SgdStep(param, grad, null, new SgdOptions(0.1), firstStep: true);
        AssertClose([0.95, -2.025], param.ToArray<double>(), 1e-15);
    }

    [Fact]
    public void SgdWeightDecayAddsDecayTimesParameterToTheGradient()
    {
        // d = 0.5 + 0.1·2 = 0.7; 2 − 0.5·0.7 = 1.65
        using var param = Tensors.FromArray([2.0], 1);
        using var grad = Tensors.FromArray([0.5], 1);
        Ops.SgdStep(param, grad, null, new SgdOptions(0.5, WeightDecay: 0.1), firstStep: true);
        AssertClose([1.65], param.ToArray<double>(), 1e-15);
    }

    [Fact]
    public void MomentumFirstStepCopiesTheGradientIntoTheBuffer()
    {
        using var param = Tensors.FromArray([1.0], 1);
        using var grad = Tensors.FromArray([0.5], 1);
        using var buffer = Filled(1, 123);
        Ops.SgdStep(param, grad, buffer, new SgdOptions(0.1, Momentum: 0.9), firstStep: true);
        Assert.Equal([0.5], buffer.ToArray<double>());
        AssertClose([0.95], param.ToArray<double>(), 1e-15);
    }

    [Fact]
    public void MomentumLaterStepsAddTheGradientToTheDecayedBuffer()
    {
        // step 1: buf = 0.5, p = 1 − 0.05 = 0.95; step 2: buf = 0.9·0.5 + 0.25 = 0.7, p = 0.95 − 0.07 = 0.88
        var (param, buffer) = TwoMomentumSteps(new SgdOptions(0.1, Momentum: 0.9));
        AssertClose([0.7], buffer, 1e-15);
        AssertClose([0.88], param, 1e-15);
    }

    [Fact]
    public void DampeningScalesOnlyTheGradientsAfterTheFirstStep()
    {
        // step 1: buf = 0.5 (undamped), p = 0.95; step 2: buf = 0.9·0.5 + 0.5·0.25 = 0.575, p = 0.95 − 0.0575 = 0.8925
        var (param, buffer) = TwoMomentumSteps(new SgdOptions(0.1, Momentum: 0.9, Dampening: 0.5));
        AssertClose([0.575], buffer, 1e-15);
        AssertClose([0.8925], param, 1e-15);
    }

    [Fact]
    public void NesterovStepsAlongTheGradientPlusMomentumTimesTheBuffer()
    {
        // step 1: buf = 0.5, d = 0.5 + 0.9·0.5 = 0.95, p = 1 − 0.095 = 0.905;
        // step 2: buf = 0.45 + 0.25 = 0.7, d = 0.25 + 0.63 = 0.88, p = 0.905 − 0.088 = 0.817
        var (param, buffer) = TwoMomentumSteps(new SgdOptions(0.1, Momentum: 0.9, Nesterov: true));
        AssertClose([0.7], buffer, 1e-15);
        AssertClose([0.817], param, 1e-15);
    }

    [Theory]
    [InlineData(0.0, 0.0, 0.0, false)]
    [InlineData(0.0, 0.0, 0.05, false)]
    [InlineData(0.9, 0.0, 0.0, false)]
    [InlineData(0.9, 0.3, 0.05, false)]
    [InlineData(0.8, 0.0, 0.05, true)]
    public void SgdMatchesPyTorchReferenceOverFourSteps(double momentum, double dampening, double weightDecay, bool nesterov)
    {
        var options = new SgdOptions(0.05, momentum, dampening, weightDecay, nesterov);
        var p = Values(37, seed: 1);
        var buf = new double[37];
        using var param = Tensors.FromArray((double[])p.Clone(), 37);
        using var buffer = Filled(37, 0);
        for (int step = 1; step <= 4; step++)
        {
            var g = Values(37, seed: 10 + step);
            using var grad = Tensors.FromArray(g, 37);
            Ops.SgdStep(param, grad, buffer, options, firstStep: step == 1);
            ReferenceSgd(p, g, buf, options, firstStep: step == 1);
        }
        AssertClose(p, param.ToArray<double>(), 1e-14);
        if (momentum != 0) AssertClose(buf, buffer.ToArray<double>(), 1e-14);
    }

    [Fact]
    public void SgdWithoutMomentumLeavesTheBufferUntouched()
    {
        using var param = Tensors.FromArray([1.0, 2], 2);
        using var grad = Tensors.FromArray([0.5, 0.5], 2);
        using var buffer = Filled(2, 7);
        Ops.SgdStep(param, grad, buffer, new SgdOptions(0.1, WeightDecay: 0.1), firstStep: true);
        Assert.Equal([7.0, 7], buffer.ToArray<double>());
    }

    [Fact]
    public void SgdLeavesTheGradientUnchanged()
    {
        using var param = Tensors.FromArray([1.0, 2], 2);
        using var grad = Tensors.FromArray([0.5, -0.5], 2);
        using var buffer = Filled(2, 0);
        Ops.SgdStep(param, grad, buffer, new SgdOptions(0.1, Momentum: 0.9, WeightDecay: 0.1, Nesterov: true), firstStep: true);
        Assert.Equal([0.5, -0.5], grad.ToArray<double>());
    }

    [Fact]
    public void LargeFloat32SgdWithARaggedTailMatchesReference()
    {
        const int count = 100_003;
        var options = new SgdOptions(0.01, Momentum: 0.9, WeightDecay: 0.01);
        var p = Values(count, seed: 2, asFloat: true);
        var g = Values(count, seed: 3, asFloat: true);
        var buf = new double[count];
        using var param = Tensors.FromArray(p.Select(v => (float)v).ToArray(), count);
        using var grad = Tensors.FromArray(g.Select(v => (float)v).ToArray(), count);
        using var buffer = Filled(count, 0, DType.Float32);
        for (int step = 1; step <= 2; step++)
        {
            Ops.SgdStep(param, grad, buffer, options, firstStep: step == 1);
            ReferenceSgd(p, g, buf, options, firstStep: step == 1);
        }
        AssertClose(p, param.ToArray<float>().Select(v => (double)v).ToArray(), 1e-6);
        AssertClose(buf, buffer.ToArray<float>().Select(v => (double)v).ToArray(), 1e-6);
    }

    [Fact]
    public void FirstAdamStepMovesByTheLearningRateUpToEpsilon()
    {
        // m = 0.1·0.5 = 0.05, v = 0.001·0.25 = 0.00025; bc1 = 1 − 0.9 = 0.1, bc2 = 1 − 0.999 = 0.001.
        // denom = √0.00025/√0.001 + 1e-8 = 0.5 + 1e-8; p = 1 − (0.1/0.1)·0.05/(0.5 + 1e-8)
        //       = 1 − 0.1/(1 + 2e-8) ≈ 0.9 + 2e-9.
        using var param = Tensors.FromArray([1.0], 1);
        using var grad = Tensors.FromArray([0.5], 1);
        using var m = Filled(1, 0);
        using var v = Filled(1, 0);
        Ops.AdamStep(param, grad, m, v, new AdamOptions(LearningRate: 0.1), step: 1);
        AssertClose([0.05], m.ToArray<double>(), 1e-16);
        AssertClose([0.00025], v.ToArray<double>(), 1e-18);
        AssertClose([0.9 + 2e-9], param.ToArray<double>(), 1e-15);
    }

    [Theory]
    [InlineData(false, DType.Float64)]
    [InlineData(true, DType.Float64)]
    [InlineData(false, DType.Float32)]
    [InlineData(true, DType.Float32)]
    public void AdamMatchesPyTorchReferenceOverThreeStepsWithWeightDecay(bool decoupled, DType dtype)
    {
        const int count = 29;
        var options = new AdamOptions(LearningRate: 0.01, Beta1: 0.8, Beta2: 0.99, Epsilon: 1e-6, WeightDecay: 0.1, Decoupled: decoupled);
        bool isFloat = dtype == DType.Float32;
        var p = Values(count, seed: 4, isFloat);
        var (m, v) = (new double[count], new double[count]);
        using var param = Make(p, dtype);
        using var mt = Filled(count, 0, dtype);
        using var vt = Filled(count, 0, dtype);
        for (int step = 1; step <= 3; step++)
        {
            var g = Values(count, seed: 20 + step, isFloat);
            using var grad = Make(g, dtype);
            Ops.AdamStep(param, grad, mt, vt, options, step);
            ReferenceAdam(p, g, m, v, options, step);
        }
        double tolerance = isFloat ? 1e-6 : 1e-14;
        AssertClose(p, Read(param), tolerance);
        AssertClose(m, Read(mt), tolerance);
        AssertClose(v, Read(vt), tolerance);
    }

    [Fact]
    public void AdamWDecaysTheParameterWithoutFeedingTheDecayIntoTheMoments()
    {
        using var param = Tensors.FromArray([2.0], 1);
        using var grad = Tensors.FromArray([0.5], 1);
        using var m = Filled(1, 0);
        using var v = Filled(1, 0);
        Ops.AdamStep(param, grad, m, v, new AdamOptions(LearningRate: 0.1, WeightDecay: 0.5, Decoupled: true), step: 1);
        // m and v see the bare gradient, so the update is the first Adam step's: p = 2·(1 − 0.1·0.5) − 0.1/(1 + 2e-8) ≈ 1.8 + 2e-9
        AssertClose([0.05], m.ToArray<double>(), 1e-16);
        AssertClose([1.8 + 2e-9], param.ToArray<double>(), 1e-14);
    }

    [Fact]
    public void AdamLeavesTheGradientUnchanged()
    {
        using var param = Tensors.FromArray([1.0, 2], 2);
        using var grad = Tensors.FromArray([0.5, -0.5], 2);
        using var m = Filled(2, 0);
        using var v = Filled(2, 0);
        Ops.AdamStep(param, grad, m, v, new AdamOptions(WeightDecay: 0.1), step: 1);
        Assert.Equal([0.5, -0.5], grad.ToArray<double>());
    }

    [Fact]
    public void LargeFloat32AdamWithARaggedTailMatchesReference()
    {
        const int count = 100_003;
        var options = new AdamOptions(LearningRate: 0.01, WeightDecay: 0.01);
        var p = Values(count, seed: 5, asFloat: true);
        var (m, v) = (new double[count], new double[count]);
        using var param = Make(p, DType.Float32);
        using var mt = Filled(count, 0, DType.Float32);
        using var vt = Filled(count, 0, DType.Float32);
        for (int step = 1; step <= 2; step++)
        {
            var g = Values(count, seed: 30 + step, asFloat: true);
            using var grad = Make(g, DType.Float32);
            Ops.AdamStep(param, grad, mt, vt, options, step);
            ReferenceAdam(p, g, m, v, options, step);
        }
        AssertClose(p, Read(param), 1e-6);
        // The moments in Float32 are within a few roundings of the double reference: m is below 0.2, v below 4e-3.
        AssertClose(m, Read(mt), 1e-7);
        AssertClose(v, Read(vt), 1e-9);
    }

    private static (double[] Param, double[] Buffer) TwoMomentumSteps(SgdOptions options)
    {
        using var param = Tensors.FromArray([1.0], 1);
        using var buffer = Filled(1, 0);
        using (var grad = Tensors.FromArray([0.5], 1)) Ops.SgdStep(param, grad, buffer, options, firstStep: true);
        using (var grad = Tensors.FromArray([0.25], 1)) Ops.SgdStep(param, grad, buffer, options, firstStep: false);
        return (param.ToArray<double>(), buffer.ToArray<double>());
    }

    /// <summary>torch.optim.SGD's update, element by element.</summary>
    private static void ReferenceSgd(double[] p, double[] g, double[] buf, SgdOptions o, bool firstStep)
    {
        for (int i = 0; i < p.Length; i++)
        {
            double d = g[i];
            if (o.WeightDecay != 0) d += o.WeightDecay * p[i];
            if (o.Momentum != 0)
            {
                buf[i] = firstStep ? d : o.Momentum * buf[i] + (1 - o.Dampening) * d;
                d = o.Nesterov ? d + o.Momentum * buf[i] : buf[i];
            }
            p[i] -= o.LearningRate * d;
        }
    }

    /// <summary>Adam as Kingma and Ba write it (bias-corrected moments), with torch's placement of eps
    /// and of the two kinds of weight decay.</summary>
    private static void ReferenceAdam(double[] p, double[] grad, double[] m, double[] v, AdamOptions o, int step)
    {
        for (int i = 0; i < p.Length; i++)
        {
            double g = grad[i];
            if (o.Decoupled) p[i] *= 1 - o.LearningRate * o.WeightDecay;
            else g += o.WeightDecay * p[i];
            m[i] = o.Beta1 * m[i] + (1 - o.Beta1) * g;
            v[i] = o.Beta2 * v[i] + (1 - o.Beta2) * g * g;
            double mHat = m[i] / (1 - Math.Pow(o.Beta1, step));
            double vHat = v[i] / (1 - Math.Pow(o.Beta2, step));
            p[i] -= o.LearningRate * mHat / (Math.Sqrt(vHat) + o.Epsilon);
        }
    }

    /// <summary>Values in [−1, 1); rounded to Float32 when the tensor under test is Float32, so the
    /// reference starts from exactly the same inputs.</summary>
    private static double[] Values(int count, int seed, bool asFloat = false)
    {
        var random = new Random(seed);
        return Enumerable.Range(0, count).Select(_ => random.NextDouble() * 2 - 1).Select(x => asFloat ? (float)x : x).ToArray();
    }

    private static Tensor Filled(int count, double value, DType dtype = DType.Float64) =>
        Tensors.Full(new Shape(count), value, dtype);

    private static Tensor Make(double[] data, DType dtype) => dtype == DType.Float64
        ? Tensors.FromArray((double[])data.Clone(), data.Length)
        : Tensors.FromArray(data.Select(x => (float)x).ToArray(), data.Length);

    private static double[] Read(Tensor t) => t.DType == DType.Float64
        ? t.ToArray<double>()
        : t.ToArray<float>().Select(x => (double)x).ToArray();

    private static void AssertClose(double[] expected, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
            Assert.True(Math.Abs(expected[i] - actual[i]) <= tolerance,
                $"element {i}: expected {expected[i]:R}, got {actual[i]:R} (tolerance {tolerance:E1})");
    }
}
