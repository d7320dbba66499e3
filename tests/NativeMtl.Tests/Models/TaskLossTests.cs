using NativeMtl.Models;

namespace NativeMtl.Tests.Models;

public class TaskLossTests
{
    private static NativeMtl.Tensor Labels(int[] values, params int[] shape) => Tensors.FromArray(values, new Shape(shape));

    [Fact]
    public void CrossEntropyIsTheMeanOverLabelledPixelsWithMinusOneIgnored()
    {
        using var scope = DisposeScope.Enter();
        // Logits [N=1, C=2, 3 pixels]; labels 0, 1, −1. Pixel 0: logits (0, ln 3) → p(0) = 1/4, loss ln 4.
        // Pixel 1: logits (ln 2, ln 2) → p(1) = 1/2, loss ln 2. Pixel 2 is unlabelled. Mean: (ln 4 + ln 2) / 2.
        var logits = Tensors.FromArray([0, Math.Log(2), 5, Math.Log(3), Math.Log(2), -5], 1, 2, 3);
        var loss = new CrossEntropyLoss().Forward(logits, Labels([0, 1, -1], 1, 3));
        Assert.Equal((Math.Log(4) + Math.Log(2)) / 2, loss.Item(), 14);
    }

    [Fact]
    public void AMaskRestrictsCrossEntropyToItsPixels()
    {
        using var scope = DisposeScope.Enter();
        // The logits above with mask (0, 1, 1): pixel 0 is masked out and pixel 2 unlabelled, so only pixel 1's
        // ln 2 remains.
        var logits = Tensors.FromArray([0, Math.Log(2), 5, Math.Log(3), Math.Log(2), -5], 1, 2, 3);
        var mask = Tensors.FromArray([0.0, 1, 1], 1, 3);
        Assert.Equal(Math.Log(2), new CrossEntropyLoss().Forward(logits, Labels([0, 1, -1], 1, 3), mask).Item(), 14);
    }

    [Fact]
    public void MaskedL1WithoutAMaskCountsThePixelsOfPositiveDepth()
    {
        using var scope = DisposeScope.Enter();
        // pred (1, 2, 3, 4), target (1.5, 0, 2, 5): pixel 1 has no depth. (|1 − 1.5| + |3 − 2| + |4 − 5|) / 3 = 2.5 / 3
        var pred = Tensors.FromArray([1.0, 2, 3, 4], 1, 1, 1, 4);
        var target = Tensors.FromArray([1.5, 0, 2, 5], 1, 1, 1, 4);
        Assert.Equal(2.5 / 3, new MaskedL1Loss().Forward(pred, target).Item(), 14);
    }

    [Fact]
    public void MaskedL1WithAMaskCountsExactlyTheMaskedPixelsWhateverTheirTargets()
    {
        using var scope = DisposeScope.Enter();
        // Two channels, two pixels: pred c0 (1, 2), c1 (3, 4); target c0 (0, −1), c1 (1, 1); mask (0, 1).
        // Pixel 1 alone counts, though its target is negative: (|2 − (−1)| + |4 − 1|) / 2 channels = 3.
        var pred = Tensors.FromArray([1.0, 2, 3, 4], 1, 2, 1, 2);
        var target = Tensors.FromArray([0.0, -1, 1, 1], 1, 2, 1, 2);
        var mask = Tensors.FromArray([0.0, 1], 1, 1, 1, 2);
        Assert.Equal(3.0, new MaskedL1Loss().Forward(pred, target, mask).Item(), 14);
    }

    [Fact]
    public void MaskedL1RefusesAMultiChannelTargetWithoutAMask()
    {
        using var scope = DisposeScope.Enter();
        var pred = Tensors.Zeros(new Shape(1, 2, 3, 3), DType.Float64);
        var e = Assert.Throws<ShapeException>(() => new MaskedL1Loss().Forward(pred, Tensors.ZerosLike(pred)));
        Assert.Equal("MaskedL1Loss: a 2-channel target [1, 2, 3, 3] needs a mask (target > 0 marks valid single-channel depth only)", e.Message);
    }

    [Fact]
    public void NormalLossAveragesOneMinusCosineOverPixelsWithANonZeroTarget()
    {
        using var scope = DisposeScope.Enter();
        // Pixel 0: pred (1, 0, 0), target (0, 1, 0): cos 0, loss 1. Pixel 1: pred (1, 1, 0), target (1, 0, 0):
        // cos 1/√2, loss 1 − 1/√2. Pixel 2: target (0, 0, 0) is missing. Mean over two pixels: (2 − 1/√2) / 2.
        var pred = Tensors.FromArray([1.0, 1, 5, 0, 1, 5, 0, 0, 5], 1, 3, 1, 3);
        var target = Tensors.FromArray([0.0, 1, 0, 1, 0, 0, 0, 0, 0], 1, 3, 1, 3);
        Assert.Equal((2 - 1 / Math.Sqrt(2)) / 2, new NormalCosineLoss().Forward(pred, target).Item(), 14);
    }

    [Fact]
    public void PerClassCrossEntropyMatchesANaiveLoopOverClasses()
    {
        using var scope = DisposeScope.Enter();
        const int n = 2, c = 3, h = 3, w = 4, pixels = h * w;
        var logitValues = TestData.Values(n * c * pixels, 11, -2, 2);
        var labelValues = new Random(12).GetItems([-1, 0, 1, 2], n * pixels);
        var perClass = new CrossEntropyLoss().PerClass(Tensors.FromArray(logitValues, n, c, h, w), Labels(labelValues, n, h, w),
            Labels(labelValues, n, h, w), c).ToArray<double>();

        var sums = new double[c];
        var counts = new int[c];
        for (int b = 0; b < n; b++)
            for (int p = 0; p < pixels; p++)
            {
                int label = labelValues[b * pixels + p];
                if (label < 0) continue;
                var scores = Enumerable.Range(0, c).Select(k => logitValues[(b * c + k) * pixels + p]).ToArray();
                double logSumExp = Math.Log(scores.Sum(Math.Exp));
                sums[label] += logSumExp - scores[label];
                counts[label]++;
            }
        TestData.Close(sums.Select((s, k) => s / counts[k]).ToArray(), perClass, 1e-12);
    }

    [Fact]
    public void PerClassLossOfAClassWithNoPixelsIsZero()
    {
        using var scope = DisposeScope.Enter();
        // Depth errors |1 − 2| = 1 and |4 − 1| = 3 at classes 0 and 2; class 1 has no pixel.
        var pred = Tensors.FromArray([1.0, 4], 1, 1, 1, 2);
        var target = Tensors.FromArray([2.0, 1], 1, 1, 1, 2);
        var perClass = new MaskedL1Loss().PerClass(pred, target, Labels([0, 2], 1, 1, 2), 3);
        Assert.Equal([1.0, 0, 3], perClass.ToArray<double>());
    }

    [Fact]
    public void PerClassLossAveragesOnlyThePixelsThatCount()
    {
        using var scope = DisposeScope.Enter();
        // All four pixels are class 0, but pixel 1 has no depth: (|1 − 2| + |5 − 3| + |1 − 1.5|) / 3 = 3.5 / 3, not / 4.
        var pred = Tensors.FromArray([1.0, 9, 5, 1], 1, 1, 2, 2);
        var target = Tensors.FromArray([2.0, 0, 3, 1.5], 1, 1, 2, 2);
        var perClass = new MaskedL1Loss().PerClass(pred, target, Labels([0, 0, 0, 0], 1, 2, 2), 1);
        TestData.Close([3.5 / 3], perClass.ToArray<double>(), 1e-15);
    }

    [Fact]
    public void GradientOfOneClassLossReachesOnlyThatClassesPixels()
    {
        using var scope = DisposeScope.Enter();
        const int c = 3, pixels = 6;
        var logits = TestData.Tensor(new Shape(1, c, 2, 3), 21, requiresGrad: true);
        int[] classes = [0, 1, 2, 1, -1, 0];
        var classMap = Labels(classes, 1, 2, 3);
        var perClass = new CrossEntropyLoss().PerClass(logits, classMap, classMap, c);
        var grad = Autograd.Grad(F.Sum(F.Slice(perClass, 0, 1, 2)), logits).ToArray<double>();
        for (int p = 0; p < pixels; p++)
        {
            var atPixel = Enumerable.Range(0, c).Select(k => grad[k * pixels + p]).ToArray();
            if (classes[p] == 1) Assert.Contains(atPixel, g => g != 0);
            else Assert.All(atPixel, g => Assert.Equal(0.0, g));
        }
    }

    [Fact]
    public void PerClassLossesOfEveryTaskLossPassTheGradientCheck()
    {
        using var scope = DisposeScope.Enter();
        var labels = Labels([0, 2, 1, -1, 1, 0, 2, 2, 0, 1, 1, 0], 1, 3, 4);
        var logits = TestData.Tensor(new Shape(1, 3, 3, 4), 31, requiresGrad: true);
        var depth = TestData.Tensor(new Shape(1, 1, 3, 4), 32, 0.2, 3, requiresGrad: true);
        var depthTarget = Tensors.FromArray([0.5, 0, 2.5, 1.1, 0.9, 1.7, 0, 2.2, 0.3, 1.4, 2.9, 0.6], 1, 1, 3, 4);
        var normals = TestData.Tensor(new Shape(1, 3, 3, 4), 33, requiresGrad: true);
        var normalTarget = TestData.Tensor(new Shape(1, 3, 3, 4), 34);
        var depthBins = DepthBins.Classify(depthTarget, [1.0, 2.0]);

        var results = GradCheck.Run(x => new CrossEntropyLoss().PerClass(x[0], labels, labels, 3), [logits])
            .Concat(GradCheck.Run(x => new MaskedL1Loss().PerClass(x[0], depthTarget, depthBins, 3), [depth]))
            .Concat(GradCheck.Run(x => new NormalCosineLoss().PerClass(x[0], normalTarget, labels, 3), [normals]));
        Assert.All(results, r => Assert.True(r.RelativeError < 1e-7, r.ToString()));
    }

    [Fact]
    public void PerClassRefusesAClassMapOfAnotherShape()
    {
        using var scope = DisposeScope.Enter();
        var pred = Tensors.Ones(new Shape(2, 1, 3, 3), DType.Float64);
        var e = Assert.Throws<ShapeException>(() => new MaskedL1Loss().PerClass(pred, pred, Tensors.Zeros(new Shape(2, 3), DType.Int32), 4));
        Assert.Equal("PerClass: class map [2, 3] differs from the per-pixel loss [2, 3, 3]", e.Message);
    }

    [Fact]
    public void DepthBinsCountTheEdgesAtOrBelowEachDepthAndMarkMissingDepthsMinusOne()
    {
        using var scope = DisposeScope.Enter();
        // Edges 1 and 2: 0.5 → 0; 1.0 → 1 (an edge belongs to the bin above it); 1.7 → 1; 3 → 2; 0 (missing) → −1.
        var depth = Tensors.FromArray([0.5f, 1, 1.7f, 3, 0], 1, 1, 1, 5);
        var bins = DepthBins.Classify(depth, [1.0, 2.0]);
        Assert.Equal(new Shape(1, 1, 5), bins.Shape);
        Assert.Equal([0, 1, 1, 2, -1], bins.ToArray<int>());
    }

    [Fact]
    public void DepthBinsRefuseEdgesThatDoNotIncrease()
    {
        using var scope = DisposeScope.Enter();
        var e = Assert.Throws<ArgumentException>(() => DepthBins.Classify(Tensors.Ones(new Shape(1, 2, 2)), [1.0, 3.0, 2.0]));
        Assert.Equal("DepthBins: edges must increase strictly, but edge 2 (2) follows 3", e.Message);
    }

    [Fact]
    public void RegistryCreatesTheBuiltInLossesByName()
    {
        var registry = TaskLossRegistry.CreateDefault();
        Assert.Equal(["cross_entropy", "masked_l1", "normal_cosine"], registry.Names);
        Assert.IsType<CrossEntropyLoss>(registry.Create("cross_entropy"));
        Assert.IsType<MaskedL1Loss>(registry.Create("masked_l1"));
        Assert.IsType<NormalCosineLoss>(registry.Create("normal_cosine"));
    }

    [Fact]
    public void RegistryRefusesASecondLossUnderTheSameName()
    {
        var registry = TaskLossRegistry.CreateDefault();
        var e = Assert.Throws<ArgumentException>(() => registry.Register("masked_l1", () => new MaskedL1Loss()));
        Assert.Equal("task loss 'masked_l1' is already registered", e.Message);
    }

    [Fact]
    public void RegistryNamesTheKnownLossesWhenAskedForAnUnknownOne()
    {
        var e = Assert.Throws<ArgumentException>(() => TaskLossRegistry.CreateDefault().Create("l2"));
        Assert.Equal("unknown task loss 'l2'; known: cross_entropy, masked_l1, normal_cosine", e.Message);
    }
}
