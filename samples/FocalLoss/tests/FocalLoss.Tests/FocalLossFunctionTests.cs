using NativeMtl;
using NativeMtl.Kernels;

namespace FocalLoss.Tests;

/// <summary>The focal loss op: values by hand, gradients against finite differences, the ignore label.</summary>
public class FocalLossFunctionTests
{
    /// <summary>One sample of 2 classes and 1×2 pixels: logits (0, 0) → p_y = ½; logits (ln 3, 0) with label 0 → p_y = ¾.</summary>
    private static (Tensor Logits, Tensor Labels) TwoPixels(DType dtype = DType.Float64) =>
        (Tensors.FromArray(new[] { 0, Math.Log(3), 0, 0 }, new Shape(1, 2, 1, 2)) is var t && dtype == DType.Float64 ? t : NativeMtl.Raw.Ops.Cast(t, dtype),
         Tensors.FromArray(new[] { 1, 0 }, new Shape(1, 1, 2)));

    [Fact]
    public void EachPixelIsMinusOneMinusPToTheGammaTimesLogP()
    {
        var (logits, labels) = TwoPixels();
        var loss = FocalLossFunction.PerPixel(logits, labels, gamma: 2).ToArray<double>();
        Assert.Equal(-0.25 * Math.Log(0.5), loss[0], 12);      // (1 − ½)² · −log ½
        Assert.Equal(-0.0625 * Math.Log(0.75), loss[1], 12);   // (1 − ¾)² · −log ¾
    }

    [Fact]
    public void GammaZeroIsCrossEntropy()
    {
        var (logits, labels) = TwoPixels();
        Assert.Equal([-Math.Log(0.5), -Math.Log(0.75)], FocalLossFunction.PerPixel(logits, labels, gamma: 0).ToArray<double>(), new ToleranceComparer(1e-12));
    }

    [Fact]
    public void TheIgnoreLabelCostsNothingAndGetsNoGradient()
    {
        var logits = Tensors.FromArray(new[] { 0.3, -1.0, 2.0, 0.5 }, new Shape(1, 2, 1, 2));
        logits.RequiresGrad = true;
        var labels = Tensors.FromArray(new[] { -1, 1 }, new Shape(1, 1, 2));
        var loss = FocalLossFunction.PerPixel(logits, labels, gamma: 2);
        Assert.Equal(0, loss.ToArray<double>()[0]);
        NativeMtl.F.Sum(loss).Backward();
        var gradient = logits.Grad!.ToArray<double>();
        Assert.Equal(0, gradient[0]);   // channel 0 of the ignored pixel
        Assert.Equal(0, gradient[2]);   // channel 1 of the ignored pixel
    }

    [Theory]
    [InlineData(0.0)]
    [InlineData(0.5)]
    [InlineData(2.0)]
    public void TheGradientMatchesFiniteDifferences(double gamma)
    {
        var logits = Tensors.Normal(new Shape(2, 3, 2, 3), new Generator(5), dtype: DType.Float64);
        logits.RequiresGrad = true;
        var labels = Tensors.FromArray(new[] { 0, 1, 2, 2, -1, 1, 1, 0, 0, 2, 1, 0 }, new Shape(2, 2, 3));
        foreach (var result in GradCheck.Run(x => FocalLossFunction.PerPixel(x[0], labels, gamma), [logits]))
            Assert.True(result.RelativeError < 1e-7, result.ToString());
    }

    [Fact]
    public void Float32LogitsGiveFloat32LossesOfTheSameValue()
    {
        var (logits, labels) = TwoPixels(DType.Float32);
        var loss = FocalLossFunction.PerPixel(logits, labels, gamma: 2);
        Assert.Equal(DType.Float32, loss.DType);
        Assert.Equal(-0.25 * Math.Log(0.5), loss.ToArray<float>()[0], 6);
    }

    [Fact]
    public void TheTaskLossIsTheMeanOverTheLabelledPixels()
    {
        var logits = Tensors.FromArray(new[] { 0, Math.Log(3), 5, 0, 0, 0 }, new Shape(1, 2, 1, 3));
        var labels = Tensors.FromArray(new[] { 1, 0, -1 }, new Shape(1, 1, 3));
        // The two labelled pixels of EachPixelIsMinusOneMinusPToTheGammaTimesLogP; the third does not count.
        double expected = (-0.25 * Math.Log(0.5) - 0.0625 * Math.Log(0.75)) / 2;
        Assert.Equal(expected, new FocalTaskLoss(gamma: 2).Forward(logits, labels).ToArray<double>()[0], 12);
    }

    [Fact]
    public void MismatchedShapesAreOneLineNamingBoth()
    {
        var e = Assert.Throws<ArgumentException>(() => FocalLossFunction.PerPixel(Tensors.Zeros(new Shape(1, 2, 3, 3)), Tensors.Zeros(new Shape(1, 3, 4), DType.Int32), 2));
        Assert.Equal("FocalLoss: logits [1, 2, 3, 3] and labels [1, 3, 4] do not match as [N, C, H, W] and [N, H, W]", e.Message);
    }

    private sealed class ToleranceComparer(double tolerance) : IEqualityComparer<double>
    {
        public bool Equals(double a, double b) => Math.Abs(a - b) <= tolerance;

        public int GetHashCode(double value) => 0;
    }
}
