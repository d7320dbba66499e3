using NativeMtl.Raw;

namespace NativeMtl.Tests.Kernels;

public class ClassSumTests
{
    [Fact]
    public void EachClassGetsTheSumOfItsPositionsAndLabelsOutOfRangeNone()
    {
        using var scope = DisposeScope.Enter();
        var values = Tensors.FromArray([1.0, 2, 4, 8, 16, 32], 2, 3);
        var labels = Tensors.FromArray([0, 2, 0, -1, 3, 2], 2, 3);
        Assert.Equal([5.0, 0, 34], Ops.ClassSum(values, labels, 3).ToArray<double>());
    }

    [Fact]
    public void TheGatherPutsEachClassValueAtItsPositionsAndZeroElsewhere()
    {
        using var scope = DisposeScope.Enter();
        var g = Tensors.FromArray([0.5, -1, 7], 3);
        var labels = Tensors.FromArray([2, 0, -1, 3, 1, 2], 2, 3);
        Assert.Equal([7.0, 0.5, 0, 0, -1, 7], Ops.ClassGather(g, labels).ToArray<double>());
    }

    [Fact]
    public void LabelsOfAnotherShapeAreAShapeError()
    {
        using var scope = DisposeScope.Enter();
        var e = Assert.Throws<ShapeException>(() => Ops.ClassSum(Tensors.Zeros(new Shape(2, 3)), Tensors.Zeros(new Shape(3, 2), DType.Int32), 2));
        Assert.Contains("labels [3, 2] differ from values [2, 3]", e.Message);
    }
}
