using NativeMtl.Raw;

namespace NativeMtl.Tests.AutogradLayer;

public class EngineTests
{
    private static NativeMtl.Tensor Leaf(params double[] values)
    {
        var t = Tensors.FromArray(values, values.Length);
        t.RequiresGrad = true;
        return t;
    }

    [Fact]
    public void BackwardFillsTheGradOfEveryLeaf()
    {
        using var scope = DisposeScope.Enter();
        var a = Leaf(1, 2);
        var b = Leaf(3, 4);
        F.Sum(F.Mul(a, b)).Backward();
        Assert.Equal([3.0, 4], a.Grad!.ToArray<double>());
        Assert.Equal([1.0, 2], b.Grad!.ToArray<double>());
    }

    [Fact]
    public void BackwardAccumulatesAcrossCalls()
    {
        using var scope = DisposeScope.Enter();
        var x = Leaf(1, 2);
        F.Sum(F.MulAdd(x, 3)).Backward();
        F.Sum(F.MulAdd(x, 3)).Backward();
        Assert.Equal([6.0, 6], x.Grad!.ToArray<double>());
    }

    [Fact]
    public void AnInputUsedTwiceGetsTheSumOfBothPaths()
    {
        using var scope = DisposeScope.Enter();
        var x = Leaf(2, -1);
        // d/dx (x·x + x) = 2x + 1
        F.Sum(F.Add(F.Mul(x, x), x)).Backward();
        Assert.Equal([5.0, -1], x.Grad!.ToArray<double>());
    }

    [Fact]
    public void GradientsOfTwoLeavesFromOneAddDoNotShareMemory()
    {
        using var scope = DisposeScope.Enter();
        var a = Leaf(1);
        var b = Leaf(2);
        F.Add(a, b).Backward();
        F.Add(a, b).Backward();
        Assert.Equal([2.0], a.Grad!.ToArray<double>());
        Assert.Equal([2.0], b.Grad!.ToArray<double>());
    }

    [Fact]
    public void NoGradScopeRecordsNothing()
    {
        using var scope = DisposeScope.Enter();
        var x = Leaf(1, 2);
        NativeMtl.Tensor y;
        using (GradMode.NoGrad()) y = F.Exp(x);
        Assert.False(y.RequiresGrad);
        Assert.Null(y.GradFn);
        Assert.True(GradMode.IsEnabled);
    }

    [Fact]
    public void DetachStopsGradientsButSharesValues()
    {
        using var scope = DisposeScope.Enter();
        var x = Leaf(1, 2);
        var d = F.Detach(x);
        Assert.False(d.RequiresGrad);
        Assert.Equal([1.0, 2], d.ToArray<double>());
        F.Sum(F.Mul(x, d)).Backward();
        Assert.Equal([1.0, 2], x.Grad!.ToArray<double>());
    }

    [Fact]
    public void ASecondBackwardWithoutRetainGraphIsAnError()
    {
        using var scope = DisposeScope.Enter();
        var x = Leaf(1);
        var y = F.Exp(x);
        y.Backward();
        var e = Assert.Throws<InvalidOperationException>(() => y.Backward());
        Assert.Contains("backward through Exp a second time", e.Message);
    }

    [Fact]
    public void RetainGraphAllowsASecondBackward()
    {
        using var scope = DisposeScope.Enter();
        var x = Leaf(0);
        var y = F.Exp(x);
        y.Backward(retainGraph: true);
        y.Backward();
        Assert.Equal([2.0], x.Grad!.ToArray<double>());
    }

    [Fact]
    public void GradWithRespectToAnIntermediateFollowsTheChainRule()
    {
        using var scope = DisposeScope.Enter();
        var x = Leaf(1, 2);
        var z = F.MulAdd(x, 3);
        var loss = F.Sum(F.Square(z));
        // d loss / dz = 2z = 2(3x)
        Assert.Equal([6.0, 12], Autograd.Grad(loss, z).ToArray<double>());
        Assert.Null(x.Grad);
    }

    [Fact]
    public void GradOfAnInputTheOutputDoesNotReachIsZero()
    {
        using var scope = DisposeScope.Enter();
        var x = Leaf(1, 2);
        var unused = Leaf(5);
        var g = Autograd.Grad([F.Sum(x)], [x, unused]);
        Assert.Equal([1.0, 1], g[0].ToArray<double>());
        Assert.Equal([0.0], g[1].ToArray<double>());
    }

    [Fact]
    public void BackwardOfANonScalarNeedsItsGradient()
    {
        using var scope = DisposeScope.Enter();
        var y = F.Exp(Leaf(1, 2));
        var e = Assert.Throws<ShapeException>(() => y.Backward());
        Assert.Equal("Backward: output [2] is not a scalar; pass its gradient", e.Message);
        y.Backward(Tensors.FromArray([1.0, 0], 2));
    }

    [Fact]
    public void IntegerTensorsCannotRequireGradients()
    {
        using var scope = DisposeScope.Enter();
        Assert.Throws<InvalidOperationException>(() => Tensors.Zeros(new Shape(2), DType.Int32).RequiresGrad = true);
    }

    /// <summary>The multi-task pattern: each head's gradient at the shared feature z, combined, then one
    /// backward pass through the encoder, must equal one backward pass of the combined loss.</summary>
    [Fact]
    public void BackwardSplitAtTheSharedFeatureMatchesOneBackwardPass()
    {
        using var scope = DisposeScope.Enter();
        NativeMtl.Tensor Param(int seed, params int[] shape) => TestData.Tensor(new Shape(shape), seed, requiresGrad: true);
        var x = TestData.Tensor(new Shape(4, 3), 1);
        var encoder = Param(2, 3, 5);
        var head1 = Param(3, 5, 2);
        var head2 = Param(4, 5, 1);
        (NativeMtl.Tensor Z, NativeMtl.Tensor L1, NativeMtl.Tensor L2) Forward()
        {
            var z = F.Tanh(F.Matmul(x, encoder));
            return (z, F.Sum(F.Square(F.Matmul(z, head1))), F.Mean(F.Sigmoid(F.Matmul(z, head2))));
        }

        var (_, l1, l2) = Forward();
        F.Add(l1, F.MulAdd(l2, 0.5)).Backward();
        var expectedEncoder = encoder.Grad!.ToArray<double>();
        var expectedHead1 = head1.Grad!.ToArray<double>();
        encoder.Grad = null;
        head1.Grad = null;

        var (z2, m1, m2) = Forward();
        var g1 = Autograd.Grad([m1], [z2, head1], retainGraph: true);
        var g2 = Autograd.Grad(m2, z2, retainGraph: true);
        z2.Backward(Ops.Add(g1[0], Ops.MulAdd(g2, 0.5)));
        TestData.Close(expectedEncoder, encoder.Grad!.ToArray<double>(), 1e-14);
        TestData.Close(expectedHead1, g1[1].ToArray<double>(), 1e-14);
        Assert.Null(head1.Grad);
    }
}
