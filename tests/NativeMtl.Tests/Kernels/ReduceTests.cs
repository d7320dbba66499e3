using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Tests.Kernels;

public class ReduceTests
{
    /// <summary>Naive reduction of a [2,3,4,5] Float64 tensor over the given axes.</summary>
    private static double[] Naive(double[] x, int[] shape, int[] axes, ReduceOp op)
    {
        var outShape = shape.Select((d, i) => axes.Contains(i) ? 1 : d).ToArray();
        int outCount = outShape.Aggregate(1, (p, d) => p * d);
        var acc = new double[outCount];
        var count = new int[outCount];
        if (op == ReduceOp.Max) Array.Fill(acc, double.NegativeInfinity);
        for (int i = 0; i < x.Length; i++)
        {
            int rest = i, o = 0, scale = 1;
            for (int a = shape.Length - 1; a >= 0; a--)
            {
                int idx = rest % shape[a];
                rest /= shape[a];
                o += (axes.Contains(a) ? 0 : idx) * scale;
                scale *= outShape[a];
            }
            acc[o] = op switch
            {
                ReduceOp.Max => Math.Max(acc[o], x[i]),
                ReduceOp.L2Norm => acc[o] + x[i] * x[i],
                _ => acc[o] + x[i],
            };
            count[o]++;
        }
        return acc.Select((v, o) => op switch
        {
            ReduceOp.Mean => v / count[o],
            ReduceOp.L2Norm => Math.Sqrt(v),
            _ => v,
        }).ToArray();
    }

    public static TheoryData<ReduceOp, int[]> Cases()
    {
        var data = new TheoryData<ReduceOp, int[]>();
        foreach (var op in Enum.GetValues<ReduceOp>())
            foreach (var axes in new[] { new[] { 3 }, [0], [1, 2], [0, 2, 3], [0, 1, 2, 3] })
                data.Add(op, axes);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReductionsOverSeveralAxesMatchANaiveLoop(ReduceOp op, int[] axes)
    {
        int[] shape = [2, 3, 4, 5];
        var values = TestData.Values(120, 3);
        var y = Ops.Reduce(op, Tensors.FromArray(values, shape), axes);
        TestData.Close(Naive(values, shape, axes, op), y.ToArray<double>(), 1e-13);
        Assert.Equal(shape.Where((_, i) => !axes.Contains(i)).ToArray(), y.Shape.ToArray());
    }

    [Fact]
    public void ReductionOfATransposedViewReadsItsStrides()
    {
        var x = Tensors.FromArray([1.0, 2, 3, 4, 5, 6], 2, 3);
        Assert.Equal([6.0, 15], Ops.Sum(Ops.Transpose(x, 0, 1), 0).ToArray<double>());
    }

    [Fact]
    public void KeepDimsLeavesReducedAxesAsSizeOne()
    {
        var y = Ops.Reduce(ReduceOp.Sum, Tensors.Ones(new Shape(2, 3, 4)), [0, 2], keepDims: true);
        Assert.Equal(new Shape(1, 3, 1), y.Shape);
        Assert.Equal([8f, 8, 8], y.ToArray<float>());
    }

    [Fact]
    public void LargeFloat32SumsStayAccurate()
    {
        var y = Ops.Sum(Tensors.Full(new Shape(1 << 22), 0.1)).Item();
        Assert.Equal(0.1f * (double)(1 << 22), y, 1e-6 * y);
    }

    [Fact]
    public void ArgMaxTakesTheFirstMaximum()
    {
        var x = Tensors.FromArray([1f, 5, 5, 2, 9, 0, 9, 3], 2, 4);
        Assert.Equal([1, 0], Ops.ArgMax(x, 1).ToArray<int>());
        Assert.Equal([1, 0, 1, 1], Ops.ArgMax(x, 0).ToArray<int>());
    }

    [Fact]
    public void SumToShapeUndoesBroadcasting()
    {
        var g = Tensors.Ones(new Shape(4, 2, 3), DType.Float64);
        var s = Ops.SumToShape(g, new Shape(2, 1));
        Assert.Equal(new Shape(2, 1), s.Shape);
        Assert.Equal([12.0, 12], s.ToArray<double>());
    }
}
