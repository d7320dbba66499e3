using NativeMtl.Raw;

namespace NativeMtl.Tests.Kernels;

public class MaskedL1Tests
{
    [Fact]
    public void LossAndGradientComeFromOneKernel()
    {
        using var scope = DisposeScope.Enter();
        // d = pred − target = (1, −2, 0, 3), mask (1, 1, 1, 0): loss = (1 + 2 + 0) / 3 = 1;
        // gradient = mask·sign(d)/3 = (1/3, −1/3, 0, 0).
        var (loss, gradient) = Ops.MaskedL1(Tensors.FromArray([2.0, 0, 5, 9], 4), Tensors.FromArray([1.0, 2, 5, 6], 4), Tensors.FromArray([1.0, 1, 1, 0], 4));
        Assert.Equal(1.0, loss.Item(), 15);
        TestData.Close([1.0 / 3, -1.0 / 3, 0, 0], gradient.ToArray<double>(), 1e-15);
    }

    [Fact]
    public void ALargeFloat32LossMatchesANaiveSumAndIsTheSameOnEveryRun()
    {
        using var scope = DisposeScope.Enter();
        var g = new Generator(4);
        var pred = Tensors.Normal(new Shape(2, 1, 300, 400), g);
        var target = Tensors.Normal(new Shape(2, 1, 300, 400), g);
        var mask = Ops.Scalar(NativeMtl.Kernels.ScalarOp.InRange, Tensors.Uniform(new Shape(2, 1, 300, 400), g), 0, 0.7);
        var (loss, gradient) = Ops.MaskedL1(pred, target, mask);
        var p = pred.ToArray<float>();
        var t = target.ToArray<float>();
        var m = mask.ToArray<float>();
        double sum = 0, count = 0;
        for (int i = 0; i < p.Length; i++)
        {
            sum += m[i] * Math.Abs((double)p[i] - t[i]);
            count += m[i];
        }
        Assert.Equal(sum / count, loss.Item(), 1e-6);
        // Every element of the gradient: mask·sign(pred − target) / Σ mask.
        var expected = p.Select((v, i) => m[i] * Math.Sign((double)v - t[i]) / count).ToArray();
        TestData.Close(expected, gradient.ToArray<float>().Select(v => (double)v).ToArray(), 1e-6);
        for (int run = 0; run < 3; run++) Assert.Equal(loss.Item(), Ops.MaskedL1(pred, target, mask).Loss.Item());
    }

    [Fact]
    public void AMaskOfOneChannelCountsForEveryChannel()
    {
        using var scope = DisposeScope.Enter();
        // Three channels of two pixels, the second pixel masked out: |d| at the first pixel is 1, 2, 3 (sum 6) over
        // 1 pixel × 3 channels, so the loss is 2; the masked-out 5, 7, 9 count for nothing. The gradient is
        // sign(d)/3 at the first pixel of each channel.
        var (loss, gradient) = Ops.MaskedL1(Tensors.FromArray([1.0, 5, 2, 7, -3, 9], 1, 3, 1, 2), Tensors.Zeros(new Shape(1, 3, 1, 2), NativeMtl.DType.Float64),
            Tensors.FromArray([1.0, 0], 1, 1, 1, 2));
        Assert.Equal(2.0, loss.Item(), 15);
        TestData.Close([1.0 / 3, 0, 1.0 / 3, 0, -1.0 / 3, 0], gradient.ToArray<double>(), 1e-15);
    }
}
