using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Tests.Kernels;

/// <summary>GradDrop's fused op on the CPU, worked by hand on two tasks, two samples and two feature positions.</summary>
public class GradDropTests
{
    // Two tasks, two samples, two positions; the feature's signs are sample 0 (+, −), sample 1 (+, +).
    private static readonly double[] Grads =
    [
        1, 2, /* task 0, sample 0 */ 3, 1, /* task 0, sample 1 */
        2, -1, /* task 1, sample 0 */ 1, -4, /* task 1, sample 1 */
    ];

    private static readonly double[] Feature = [0.5, -2, 1, 3];

    /// <summary>Signed sums s = Σ_n g·sign(x): position 0, task 0: 1 + 3 = 4, task 1: 2 + 1 = 3, so P = 1; position 1,
    /// task 0: −2 + 1 = −1, task 1: 1 − 4 = −3, so P = 0. Either way no task disagrees with the sign any draw picks,
    /// and y is the plain sum.</summary>
    [Fact]
    public void TasksWhoseSignedSumsAgreeAreAllKept()
    {
        using var scope = DisposeScope.Enter();
        var y = Ops.GradDrop(Tensors.FromArray(Grads, 2, 2, 2), Tensors.FromArray(Feature, 2, 2), seed: 1, offset: 0).ToArray<double>();
        Assert.Equal([1.0 + 2, 2 - 1, 3 + 1, 1 - 4], y);
    }

    /// <summary>At position 0 task 0's signed sum is 1·(+1) + 3·(+1) = 4 and task 1's (−2)·(+1) + 1·(+1) = −1: P = ½(1 +
    /// 3/5) = 0.8. A draw below 0.8 keeps the positive task 0; above it, task 1. With leak ¼ the dropped one stays at ¼.</summary>
    [Theory]
    [InlineData(0.0)]
    [InlineData(0.25)]
    public void AConflictKeepsTheSideTheDrawPicksByItsPurity(double leak)
    {
        double[] grads = [1, 5, 3, 6, -2, 7, 1, 8];
        double[] feature = [1, 1, 1, 1];
        double u = Philox.UniformDouble(0, 9, 0, 1);
        bool positive = 0.8 > u;
        double keep0 = positive ? 1 : leak, keep1 = positive ? leak : 1;
        using var scope = DisposeScope.Enter();
        var y = Ops.GradDrop(Tensors.FromArray(grads, 2, 2, 2), Tensors.FromArray(feature, 2, 2), seed: 9, offset: 0, leak).ToArray<double>();
        Assert.Equal(keep0 * 1 + keep1 * -2, y[0], 15);
        Assert.Equal(keep0 * 3 + keep1 * 1, y[2], 15);
        Assert.Equal(5.0 + 7, y[1]);
        Assert.Equal(6.0 + 8, y[3]);
    }

    [Fact]
    public void TheDrawsFollowTheSeedAndOffset()
    {
        using var scope = DisposeScope.Enter();
        var g = TestData.Tensor(new Shape(3, 4, 50), 3, -1, 1);
        var x = TestData.Tensor(new Shape(4, 50), 4, -1, 1);
        var a = Ops.GradDrop(g, x, 5, 100).ToArray<double>();
        Assert.Equal(a, Ops.GradDrop(g, x, 5, 100).ToArray<double>());
        Assert.NotEqual(a, Ops.GradDrop(g, x, 6, 100).ToArray<double>());
        Assert.NotEqual(a, Ops.GradDrop(g, x, 5, 200).ToArray<double>());
    }

    [Fact]
    public void MoreTasksThanTheKernelHoldsAreRefused()
    {
        using var scope = DisposeScope.Enter();
        var e = Assert.Throws<ArgumentException>(() => Ops.GradDrop(Tensors.Zeros(new Shape(17, 1, 2)), Tensors.Zeros(new Shape(1, 2)), 0, 0));
        Assert.Equal("GradDrop: 17 tasks; 1 to 16 are supported", e.Message);
    }
}
