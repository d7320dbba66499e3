using NativeMtl.Kernels;

namespace NativeMtl.Tests.Emulation;

/// <summary>Every kernel family at sizes 0 and 1, where launches clamp their grids to one block, early returns skip
/// them, and reductions meet an empty or single input: the emulated CUDA backend must agree with the CPU (an empty
/// sum is 0 on both, an empty maximum the same value on both, and a size-0 op touches nothing).</summary>
public class EdgeSizeKernelTests
{
    public static TheoryData<int> Sizes => [0, 1];

    [Theory]
    [MemberData(nameof(Sizes))]
    public void ElementwiseOps(int n)
    {
        using var x = Twin.Random(DType.Float32, n, 1);
        using var other = Twin.Random(DType.Float32, n, 2);
        using var condition = Twin.Of(DType.Float32, Enumerable.Repeat(1.0, n).ToArray());
        using var y = Twin.Blank(DType.Float32, n);
        Emulated.OnBoth(b => b.Unary(UnaryOp.Exp, x.On(b, [n]), y.On(b, [n])));
        y.AssertClose(1e-6);
        Emulated.OnBoth(b => b.Binary(BinaryOp.Add, x.On(b, [n]), other.On(b, [n]), y.On(b, [n])));
        y.AssertEqual();
        Emulated.OnBoth(b => b.Scalar(ScalarOp.MulAdd, x.On(b, [n]), 2, 1, y.On(b, [n])));
        y.AssertEqual();
        Emulated.OnBoth(b => b.Where(condition.On(b, [n]), x.On(b, [n]), other.On(b, [n]), y.On(b, [n])));
        y.AssertEqual();
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void CopyFillArangeAndRandom(int n)
    {
        using var x = Twin.Random(DType.Float64, n, 3);
        using var y = Twin.Blank(DType.Float64, n);
        Emulated.OnBoth(b => b.Copy(x.On(b, [n]), y.On(b, [n])));
        y.AssertEqual();
        Emulated.OnBoth(b => b.Fill(y.On(b, [n]), 4.5));
        y.AssertEqual();
        Emulated.OnBoth(b => b.Arange(y.On(b, [n]), -1, 0.5));
        y.AssertEqual();
        Emulated.OnBoth(b => b.Random(y.On(b, [n]), RandomDistribution.Uniform, seed: 3, offset: 0, -1, 1));
        y.AssertEqual();
    }

    /// <summary>[n, 100] reduced over its first axis (n elements for each of 100 outputs, a thread each) and over its
    /// second (100 elements for each of n outputs, a block each).</summary>
    [Theory]
    [MemberData(nameof(Sizes))]
    public void ReductionsOfEmptyAndSingleAxes(int n)
    {
        using var x = Twin.Random(DType.Float32, n * 100, 4);
        using var columns = Twin.Blank(DType.Float32, 100);
        using var rows = Twin.Blank(DType.Float32, n);
        foreach (var op in new[] { ReduceOp.Sum, ReduceOp.Mean, ReduceOp.Max })
        {
            Emulated.OnBoth(b => b.Reduce(op, x.On(b, [n, 100]), columns.On(b, [1, 100])));
            columns.AssertClose(1e-6);
            Emulated.OnBoth(b => b.Reduce(op, x.On(b, [n, 100]), rows.On(b, [n, 1])));
            rows.AssertClose(1e-6);
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void SoftmaxOverEmptyAndSingleRows(int n)
    {
        using var x = Twin.Random(DType.Float32, n * 4, 5);
        using var y = Twin.Blank(DType.Float32, n * 4);
        using var gy = Twin.Random(DType.Float32, n * 4, 6);
        using var gx = Twin.Blank(DType.Float32, n * 4);
        foreach (var shape in new[] { new[] { n, 4 }, [4, n] })
        {
            Emulated.OnBoth(b => b.Softmax(x.On(b, shape), 1, true, y.On(b, shape)));
            y.AssertClose(1e-6);
            Emulated.OnBoth(b => b.SoftmaxBackward(y.On(b, shape), gy.On(b, shape), 1, true, gx.On(b, shape)));
            gx.AssertClose(1e-6);
        }
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void NllAndClassSumsOverNoneOrOnePosition(int n)
    {
        using var logProbs = Twin.Random(DType.Float32, n * 3, 7, -3, 0);
        using var target = Twin.Of(DType.Int32, Enumerable.Repeat(2.0, n).ToArray());
        using var loss = Twin.Blank(DType.Float32, n);
        using var valid = Twin.Blank(DType.Float32, n);
        using var gLogProbs = Twin.Blank(DType.Float32, n * 3);
        Emulated.OnBoth(b => b.NllLoss(logProbs.On(b, [n, 3, 1]), target.On(b, [n, 1]), -100, loss.On(b, [n, 1]), valid.On(b, [n, 1])));
        loss.AssertEqual();
        valid.AssertEqual();
        Emulated.OnBoth(b => b.NllLossBackward(loss.On(b, [n, 1]), target.On(b, [n, 1]), -100, gLogProbs.On(b, [n, 3, 1])));
        gLogProbs.AssertEqual();

        using var values = Twin.Random(DType.Float32, n, 8);
        using var sums = Twin.Blank(DType.Float32, 3);
        using var gathered = Twin.Blank(DType.Float32, n);
        Emulated.OnBoth(b => b.ClassSum(values.On(b, [n]), target.On(b, [n]), sums.On(b, [3])));
        sums.AssertClose(1e-6);
        Emulated.OnBoth(b => b.ClassGather(sums.On(b, [3]), target.On(b, [n]), gathered.On(b, [n])));
        gathered.AssertEqual();
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void MaskedL1OfNoneOrOneValue(int n)
    {
        using var pred = Twin.Random(DType.Float32, n, 9);
        using var target = Twin.Random(DType.Float32, n, 10);
        using var mask = Twin.Of(DType.Float32, Enumerable.Repeat(1.0, n).ToArray());
        using var loss = Twin.Blank(DType.Float32, 1);
        using var gradient = Twin.Blank(DType.Float32, n);
        Emulated.OnBoth(b => b.MaskedL1(pred.On(b, [n]), target.On(b, [n]), mask.On(b, [n]), loss.On(b, []), gradient.On(b, [n])));
        loss.AssertClose(1e-6);
        gradient.AssertEqual();
    }

    /// <summary>A batch of n images of 1×1 pixel: pooling with padding and upsampling to 3×3.</summary>
    [Theory]
    [MemberData(nameof(Sizes))]
    public void PoolingAndUpsamplingOfOnePixelImages(int n)
    {
        var g = new Pool2dGeometry(3, 3, 1, 1, 1, 1);
        using var x = Twin.Random(DType.Float32, n, 11);
        using var pooled = Twin.Blank(DType.Float32, n);
        using var gx = Twin.Blank(DType.Float32, n);
        Emulated.OnBoth(b => b.MaxPool2dForward(x.On(b, [n, 1, 1, 1]), pooled.On(b, [n, 1, 1, 1]), g));
        pooled.AssertEqual();
        Emulated.OnBoth(b => b.AvgPool2dForward(x.On(b, [n, 1, 1, 1]), pooled.On(b, [n, 1, 1, 1]), g));
        pooled.AssertClose(1e-6);
        Emulated.OnBoth(b => b.MaxPool2dBackward(x.On(b, [n, 1, 1, 1]), pooled.On(b, [n, 1, 1, 1]), x.On(b, [n, 1, 1, 1]), gx.On(b, [n, 1, 1, 1]), g));
        gx.AssertEqual();

        using var up = Twin.Blank(DType.Float32, n * 9);
        Emulated.OnBoth(b => b.UpsampleBilinear2dForward(x.On(b, [n, 1, 1, 1]), up.On(b, [n, 1, 3, 3])));
        up.AssertEqual();
        Emulated.OnBoth(b => b.UpsampleBilinear2dBackward(up.On(b, [n, 1, 3, 3]), gx.On(b, [n, 1, 1, 1])));
        gx.AssertClose(1e-6);
    }

    [Theory]
    [MemberData(nameof(Sizes))]
    public void OptimizerStepsOnNoneOrOneParameter(int n)
    {
        using var param = Twin.Random(DType.Float32, n, 12);
        using var grad = Twin.Random(DType.Float32, n, 13);
        using var m = Twin.Random(DType.Float32, n, 14);
        using var v = Twin.Random(DType.Float32, n, 15, 0, 1);
        Emulated.OnBoth(b => b.SgdStep(param.On(b, [n]), grad.On(b, [n]), m.On(b, [n]), new SgdOptions(0.1, Momentum: 0.9), false));
        param.AssertClose(1e-6);
        Emulated.OnBoth(b => b.AdamStep(param.On(b, [n]), grad.On(b, [n]), m.On(b, [n]), v.On(b, [n]), new AdamOptions(), 3));
        param.AssertClose(1e-6);
    }

    /// <summary>Two task gradients of n parameters: their Gram matrix (zero when n is 0) and a weighted sum.</summary>
    [Theory]
    [MemberData(nameof(Sizes))]
    public void GradientGeometryOfNoneOrOneParameter(int n)
    {
        using var g = Twin.Random(DType.Float32, 2 * n, 16);
        using var gram = Twin.Blank(DType.Float32, 4);
        using var coefficients = Twin.Of(DType.Float32, [0.5, 2]);
        using var y = Twin.Blank(DType.Float32, n);
        Emulated.OnBoth(b => b.GradientGram(g.On(b, [2, n]), gram.On(b, [2, 2])));
        gram.AssertClose(1e-6);
        Emulated.OnBoth(b => b.GradientCombine(g.On(b, [2, n]), coefficients.On(b, [2]), y.On(b, [n])));
        y.AssertClose(1e-6);
    }

    /// <summary>GradDrop over n feature positions (none or one) and over n samples of one position.</summary>
    [Theory]
    [MemberData(nameof(Sizes))]
    public void GradDropOfNoneOrOnePositionOrSample(int n)
    {
        using var g = Twin.Random(DType.Float32, 2 * n, 17);
        using var x = Twin.Random(DType.Float32, n, 18);
        using var positions = Twin.Blank(DType.Float32, n);
        Emulated.OnBoth(b => b.GradDrop(g.On(b, [2, 1, n]), x.On(b, [1, n]), 3, 0, 0, positions.On(b, [1, n])));
        positions.AssertEqual();
        using var samples = Twin.Blank(DType.Float32, n);
        Emulated.OnBoth(b => b.GradDrop(g.On(b, [2, n, 1]), x.On(b, [n, 1]), 3, 0, 0, samples.On(b, [n, 1])));
        samples.AssertEqual();
    }
}
