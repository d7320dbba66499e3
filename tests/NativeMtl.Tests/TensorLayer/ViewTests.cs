using NativeMtl.Raw;

namespace NativeMtl.Tests.TensorLayer;

public class ViewTests
{
    private static NativeMtl.Tensor Iota(params int[] shape) =>
        Ops.Reshape(Tensors.Arange(0, new Shape(shape).Count, dtype: DType.Float64), shape);

    [Fact]
    public void ReshapeInfersOneSize()
    {
        Assert.Equal(new Shape(2, 3, 2), Ops.Reshape(Iota(3, 4), 2, -1, 2).Shape);
    }

    [Fact]
    public void ReshapeErrorNamesBothShapes()
    {
        var e = Assert.Throws<ShapeException>(() => Ops.Reshape(Iota(3, 4), 5, 2));
        Assert.Equal("Reshape: cannot view [3, 4] (12 elements) as [5, 2]", e.Message);
    }

    [Fact]
    public void PermuteReordersAxesWithoutCopying()
    {
        var x = Iota(2, 3);
        var t = Ops.Permute(x, 1, 0);
        Assert.False(t.IsContiguous);
        Assert.Equal([0.0, 3, 1, 4, 2, 5], t.ToArray<double>());
    }

    [Fact]
    public void ReshapeOfATransposedViewCopiesInTheViewsOrder()
    {
        Assert.Equal([0.0, 3, 1, 4, 2, 5], Ops.Reshape(Ops.Transpose(Iota(2, 3), 0, 1), 6).ToArray<double>());
    }

    [Fact]
    public void SliceTakesAStridedRangeOfOneAxis()
    {
        var s = Ops.Slice(Iota(2, 7), 1, 1, 6, 2);
        Assert.Equal(new Shape(2, 3), s.Shape);
        Assert.Equal([1.0, 3, 5, 8, 10, 12], s.ToArray<double>());
    }

    [Fact]
    public void SliceOutsideTheAxisIsAnError()
    {
        var e = Assert.Throws<ShapeException>(() => Ops.Slice(Iota(2, 3), 1, 2, 5));
        Assert.Contains("outside axis 1 of [2, 3]", e.Message);
    }

    [Fact]
    public void BroadcastToRepeatsSizeOneAndMissingAxes()
    {
        var b = Ops.BroadcastTo(Iota(3, 1), new Shape(2, 3, 2));
        Assert.Equal([0.0, 0, 1, 1, 2, 2, 0, 0, 1, 1, 2, 2], b.ToArray<double>());
    }

    [Fact]
    public void UnsqueezeAndSqueezeAddAndRemoveUnitAxes()
    {
        var x = Iota(2, 3);
        var u = Ops.Unsqueeze(x, 1);
        Assert.Equal(new Shape(2, 1, 3), u.Shape);
        Assert.Equal(new Shape(2, 3, 1), Ops.Unsqueeze(x, -1).Shape);
        Assert.Equal(new Shape(2, 3), Ops.Squeeze(u, 1).Shape);
        Assert.Throws<ShapeException>(() => Ops.Squeeze(x, 0));
    }

    [Fact]
    public void ConcatJoinsAlongAnAxis()
    {
        var c = Ops.Concat(1, Iota(2, 1), Ops.MulAdd(Iota(2, 2), 1, 10));
        Assert.Equal([0.0, 10, 11, 1, 12, 13], c.ToArray<double>());
    }

    [Fact]
    public void ConcatRejectsMismatchedSizes()
    {
        var e = Assert.Throws<ShapeException>(() => Ops.Concat(0, Iota(2, 3), Iota(2, 4)));
        Assert.Equal("Concat: shapes [2, 3] and [2, 4] differ outside axis 0", e.Message);
    }

    [Fact]
    public void CopyIntoASliceWritesOnlyThatSlice()
    {
        var x = Tensors.Zeros(new Shape(2, 4), DType.Float64);
        Ops.CopyInto(Tensors.Ones(new Shape(2, 1), DType.Float64), Ops.Slice(x, 1, 1, 3));
        Assert.Equal([0.0, 1, 1, 0, 0, 1, 1, 0], x.ToArray<double>());
    }

    [Fact]
    public void DiagonalViewsTheMainDiagonalOfASquareMatrix()
    {
        Assert.Equal([0.0, 4, 8], Ops.Diagonal(Iota(3, 3)).ToArray<double>());
        Assert.Throws<ShapeException>(() => Ops.Diagonal(Iota(2, 3)));
    }
}
