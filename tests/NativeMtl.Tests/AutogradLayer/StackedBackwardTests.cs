using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Tests.AutogradLayer;

/// <summary>The backward pass that carries several roots' gradients stacked (DESIGN §14's layerwise Gram mode).</summary>
public class StackedBackwardTests
{
    private static Dictionary<NativeMtl.Tensor, (int[] Roots, double[][] Rows)> Stacked(NativeMtl.Tensor[] roots, params NativeMtl.Tensor[] leaves)
    {
        var received = new Dictionary<NativeMtl.Tensor, (int[], double[][])>(ReferenceEqualityComparer.Instance);
        Autograd.BackwardStacked(roots, leaves, (leaf, owners, rows) =>
        {
            using (rows)
                received.Add(leaf, (owners, Enumerable.Range(0, owners.Length).Select(r => Ops.Reshape(Ops.Slice(rows, 0, r, r + 1), -1).ToArray<double>()).ToArray()));
        }, retainGraph: true);
        return received;
    }

    /// <summary>L_0 = Σ a·b and L_1 = Σ a·a at a = (1, 2), b = (3, 4): a takes ∂L_0/∂a = b = (3, 4) and ∂L_1/∂a = 2a =
    /// (2, 4), the latter from two edges, handed over once, complete; b, which L_1 does not reach, takes one row, a.</summary>
    [Fact]
    public void EachLeafReceivesTheGradientOfEveryRootThatReachesItOnceAsItsRows()
    {
        using var scope = DisposeScope.Enter();
        var a = TestData.Tensor(new Shape(2), 0, requiresGrad: true);
        var b = TestData.Tensor(new Shape(2), 0, requiresGrad: true);
        Ops.CopyInto(Tensors.FromArray([1.0, 2], 2), a);
        Ops.CopyInto(Tensors.FromArray([3.0, 4], 2), b);
        var received = Stacked([F.Sum(F.Mul(a, b)), F.Sum(F.Mul(a, a))], a, b);
        Assert.Equal([0, 1], received[a].Roots);
        Assert.Equal([[3.0, 4], [2, 4]], received[a].Rows);
        Assert.Equal([0], received[b].Roots);
        Assert.Equal([[1.0, 2]], received[b].Rows);
    }

    /// <summary>A convolution trunk (stacked rule: the gradients as a batch and as output channels), ReLU (stacked by
    /// broadcasting), a grouped convolution and tanh (rule run once per row), and three roots, one of which stops
    /// before the grouped convolution: every leaf's rows are the gradients of separate passes.</summary>
    [Fact]
    public void StackedRowsEqualTheGradientsOfOnePassPerRoot()
    {
        using var scope = DisposeScope.Enter();
        var x = TestData.Tensor(new Shape(2, 3, 5, 5), 1);
        var w1 = TestData.Tensor(new Shape(4, 3, 3, 3), 2, requiresGrad: true);
        var b1 = TestData.Tensor(new Shape(4), 3, requiresGrad: true);
        var w2 = TestData.Tensor(new Shape(4, 2, 1, 1), 4, requiresGrad: true);
        var c = TestData.Tensor(new Shape(2, 4, 3, 3), 5);
        var h = F.Relu(F.Conv2d(x, w1, b1, new Conv2dGeometry(StrideH: 2, StrideW: 2, PadH: 1, PadW: 1)));
        var z = F.Tanh(F.Conv2d(h, w2, null, new Conv2dGeometry(Groups: 2)));
        NativeMtl.Tensor[] roots = [F.Mean(F.Square(z)), F.Sum(F.Mul(z, c)), F.Sum(F.Square(h))];
        NativeMtl.Tensor[] leaves = [w1, b1, w2];
        var received = Stacked(roots, leaves);
        foreach (var leaf in leaves)
        {
            int[] expectedRoots = ReferenceEquals(leaf, w2) ? [0, 1] : [0, 1, 2];
            Assert.Equal(expectedRoots, received[leaf].Roots);
            for (int r = 0; r < expectedRoots.Length; r++)
                TestData.Close(Autograd.Grad([roots[expectedRoots[r]]], [leaf], retainGraph: true)[0].ToArray<double>(), received[leaf].Rows[r], 1e-12);
        }
    }

    [Fact]
    public void ARootThatIsNotAComputedScalarIsRefused()
    {
        using var scope = DisposeScope.Enter();
        var a = TestData.Tensor(new Shape(2), 0, requiresGrad: true);
        var error = Assert.Throws<InvalidOperationException>(() => Autograd.BackwardStacked([F.MulAdd(a, 2)], [a], (_, _, rows) => rows.Dispose()));
        Assert.Contains("[2] is not a computed scalar", error.Message);
    }
}
