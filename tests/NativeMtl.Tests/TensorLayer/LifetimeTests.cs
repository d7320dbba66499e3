using NativeMtl.Raw;

namespace NativeMtl.Tests.TensorLayer;

// Counters are process-wide, so tests that read them never run in parallel with each other.
[Collection(nameof(MemoryCounterCollection))]
public class LifetimeTests
{
    [Fact]
    public void ScopeDisposesEveryTensorCreatedInsideIt()
    {
        long tensors = MemoryCounters.LiveTensors, bytes = MemoryCounters.LiveBytes;
        Tensor a;
        using (DisposeScope.Enter())
        {
            a = Tensors.Ones(new Shape(4, 4));
            _ = Ops.Add(a, a);
            Assert.Equal(tensors + 2, MemoryCounters.LiveTensors);
        }
        Assert.True(a.IsDisposed);
        Assert.Equal(tensors, MemoryCounters.LiveTensors);
        Assert.Equal(bytes, MemoryCounters.LiveBytes);
    }

    [Fact]
    public void MoveToOuterScopeKeepsATensorAliveUntilTheOuterScopeEnds()
    {
        using var outer = DisposeScope.Enter();
        Tensor kept;
        using (DisposeScope.Enter())
            kept = Tensors.Ones(new Shape(3)).MoveToOuterScope();
        Assert.False(kept.IsDisposed);
        Assert.Same(outer, kept.Scope);
        outer.Dispose();
        Assert.True(kept.IsDisposed);
    }

    [Fact]
    public void MovingOutOfTheOutermostScopeHandsOwnershipToTheCaller()
    {
        Tensor owned;
        using (DisposeScope.Enter())
            owned = Tensors.Zeros(new Shape(2)).MoveToOuterScope();
        Assert.False(owned.IsDisposed);
        Assert.Null(owned.Scope);
        owned.Dispose();
    }

    [Fact]
    public void StorageLivesUntilItsLastViewIsDisposed()
    {
        long bytes = MemoryCounters.LiveBytes;
        var x = Tensors.Arange(0, 6, dtype: DType.Float64);
        var view = Ops.Reshape(x, 2, 3);
        x.Dispose();
        Assert.Equal(bytes + 6 * sizeof(double), MemoryCounters.LiveBytes);
        Assert.Equal([0.0, 1, 2, 3, 4, 5], view.ToArray<double>());
        view.Dispose();
        Assert.Equal(bytes, MemoryCounters.LiveBytes);
    }

    [Fact]
    public void PeakCountersRememberTheHighestLiveValues()
    {
        MemoryCounters.ResetPeaks();
        long start = MemoryCounters.LiveBytes;
        using (DisposeScope.Enter())
            _ = Tensors.Zeros(new Shape(1000), DType.Float64);
        Assert.Equal(start, MemoryCounters.LiveBytes);
        Assert.True(MemoryCounters.PeakBytes >= start + 8000);
    }

    [Fact]
    public void ScopesMustEndInReverseOrder()
    {
        var outer = DisposeScope.Enter();
        var inner = DisposeScope.Enter();
        Assert.Throws<InvalidOperationException>(outer.Dispose);
        inner.Dispose();
        outer.Dispose();
    }

    [Fact]
    public void UsingADisposedTensorNamesIt()
    {
        var x = Tensors.Zeros(new Shape(2, 2));
        x.Name = "encoder.weight";
        x.Dispose();
        var e = Assert.Throws<ObjectDisposedException>(() => Ops.Add(x, x));
        Assert.Contains("encoder.weight[2, 2]", e.Message);
    }

    [Fact]
    public void AssigningAGradientTakesItOutOfItsScope()
    {
        var p = Tensors.Zeros(new Shape(2));
        using (DisposeScope.Enter())
            p.Grad = Tensors.Ones(new Shape(2));
        Assert.False(p.Grad!.IsDisposed);
        var grad = p.Grad;
        p.Dispose();
        Assert.True(grad.IsDisposed);
    }
}

[CollectionDefinition(nameof(MemoryCounterCollection), DisableParallelization = true)]
public class MemoryCounterCollection;
