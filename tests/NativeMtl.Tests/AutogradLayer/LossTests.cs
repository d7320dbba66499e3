namespace NativeMtl.Tests.AutogradLayer;

public class LossTests
{
    [Fact]
    public void CrossEntropyIsTheMeanNegativeLogLikelihoodOfTheCountedPixels()
    {
        using var scope = DisposeScope.Enter();
        // Logits [N=1, C=2, 3 pixels]; targets 0, 1 and ignored. Pixel 0: logits (0, ln 3) → p(0) = 1/4.
        // Pixel 1: logits (ln 2, ln 2) → p(1) = 1/2. Mean over the two counted pixels: (ln 4 + ln 2) / 2.
        var logits = Tensors.FromArray([0, Math.Log(2), 5, Math.Log(3), Math.Log(2), -5], 1, 2, 3);
        var target = Tensors.FromArray([0, 1, -1], 1, 3);
        Assert.Equal((Math.Log(4) + Math.Log(2)) / 2, F.CrossEntropy(logits, target, ignoreIndex: -1).Item(), 14);
    }

    [Fact]
    public void CrossEntropyWithEveryPixelIgnoredIsZeroNotNaN()
    {
        using var scope = DisposeScope.Enter();
        var logits = TestData.Tensor(new Shape(2, 3, 2, 2), 1, requiresGrad: true);
        var loss = F.CrossEntropy(logits, Tensors.Full(new Shape(2, 2, 2), -100, DType.Int32));
        Assert.Equal(0.0, loss.Item());
        loss.Backward();
        Assert.All(logits.Grad!.ToArray<double>(), g => Assert.Equal(0.0, g));
    }

    [Fact]
    public void CrossEntropyRejectsTargetsThatDoNotMatchTheScores()
    {
        using var scope = DisposeScope.Enter();
        var e = Assert.Throws<ShapeException>(() => F.CrossEntropy(Tensors.Zeros(new Shape(2, 3, 4)), Tensors.Zeros(new Shape(2, 5), DType.Int32)));
        Assert.Equal("NllLoss: targets [2, 5] do not match scores [2, 3, 4] (expected [N, C, *] and [N, *])", e.Message);
    }

    [Fact]
    public void MaskedL1AveragesOverMaskedElementsOfEveryChannel()
    {
        using var scope = DisposeScope.Enter();
        // pred − target per channel: c0 (1, −2, 3), c1 (−4, 5, 6); mask (1, 0, 1) counts 4 elements:
        // (|1| + |3| + |−4| + |6|) / 4 = 3.5
        var pred = Tensors.FromArray([1.0, -2, 3, -4, 5, 6], 1, 2, 3);
        var mask = Tensors.FromArray([1.0, 0, 1], 1, 1, 3);
        Assert.Equal(3.5, F.MaskedL1(pred, Tensors.Zeros(new Shape(1, 2, 3), DType.Float64), mask).Item(), 14);
    }

    [Fact]
    public void MaskedL1GivesATargetThatNeedsOneTheOppositeOfThePredictionsGradient()
    {
        using var scope = DisposeScope.Enter();
        // |1 − 2| and |3 − 1| over two valid values: the loss is 1.5, d/dpred = sign(pred − target)/2 = [−½, ½].
        var pred = Tensors.FromArray([1.0, 3], 1, 1, 2);
        var target = Tensors.FromArray([2.0, 1], 1, 1, 2);
        pred.RequiresGrad = target.RequiresGrad = true;
        var loss = F.MaskedL1(pred, target, Tensors.Ones(new Shape(1, 1, 2), DType.Float64));
        Assert.Equal(1.5, loss.Item(), 14);
        loss.Backward();
        Assert.Equal([-0.5, 0.5], pred.Grad!.ToArray<double>());
        Assert.Equal([0.5, -0.5], target.Grad!.ToArray<double>());
    }

    [Fact]
    public void MaskedL1RefusesAMaskThatNeedsAGradient()
    {
        using var scope = DisposeScope.Enter();
        var pred = Tensors.FromArray([1.0, 3], 1, 1, 2);
        var mask = Tensors.Ones(new Shape(1, 1, 2), DType.Float64);
        pred.RequiresGrad = mask.RequiresGrad = true;
        var e = Assert.Throws<ArgumentException>(() => F.MaskedL1(pred, Tensors.ZerosLike(pred), mask));
        Assert.Equal("MaskedL1: the mask selects values and has no gradient; pass it detached", e.Message);
    }

    [Fact]
    public void MaskedL1OfAnEmptyMaskIsZero()
    {
        using var scope = DisposeScope.Enter();
        var pred = Tensors.Ones(new Shape(1, 1, 2, 2), DType.Float64);
        Assert.Equal(0.0, F.MaskedL1(pred, Tensors.ZerosLike(pred), Tensors.ZerosLike(pred)).Item());
    }

    [Fact]
    public void CosineSimilarityAlongChannelsGivesOneValuePerPixel()
    {
        using var scope = DisposeScope.Enter();
        // Pixel 0: (1, 0) · (1, 1) / √2 = 1/√2. Pixel 1: (0, 2) and (0, −3) point opposite ways: −1.
        var a = Tensors.FromArray([1.0, 0, 0, 2], 1, 2, 2);
        var b = Tensors.FromArray([1.0, 0, 1, -3], 1, 2, 2);
        var cos = F.CosineSimilarity(a, b);
        Assert.Equal(new Shape(1, 2), cos.Shape);
        TestData.Close([1 / Math.Sqrt(2), -1], cos.ToArray<double>(), 1e-15);
    }

    [Fact]
    public void CosineSimilarityOfAZeroVectorIsZero()
    {
        using var scope = DisposeScope.Enter();
        var cos = F.CosineSimilarity(Tensors.Zeros(new Shape(1, 3), DType.Float64), Tensors.Ones(new Shape(1, 3), DType.Float64));
        Assert.Equal([0.0], cos.ToArray<double>());
    }
}
