namespace NativeMtl.Tests.TensorLayer;

public class ShapeTests
{
    [Fact]
    public void BroadcastAlignsTrailingAxesAndStretchesSizeOne() =>
        Assert.Equal(new Shape(4, 2, 3), Shape.Broadcast("Add", new Shape(2, 1), new Shape(4, 1, 3)));

    [Fact]
    public void BroadcastErrorNamesTheOpAndBothShapes()
    {
        var e = Assert.Throws<ShapeException>(() => Shape.Broadcast("Mul", new Shape(2, 3), new Shape(4, 3)));
        Assert.Equal("Mul: shapes [2, 3] and [4, 3] do not broadcast", e.Message);
    }
}
