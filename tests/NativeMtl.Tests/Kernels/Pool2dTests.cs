using NativeMtl.Kernels;
using NativeMtl.Raw;
using static NativeMtl.Tests.Kernels.NnTestData;

namespace NativeMtl.Tests.Kernels;

public class Pool2dTests
{
    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void MaxPoolTakesTheMaximumOfEachWindow(DType dtype)
    {
        using var scope = DisposeScope.Enter();
        // x = 1..16 in a 4×4 plane; 2×2 windows at stride 2 end at (1,1), (1,3), (3,1), (3,3): 6, 8, 14, 16.
        var x = ToTensor(Enumerable.Range(1, 16).Select(v => (double)v).ToArray(), dtype, 1, 1, 4, 4);
        var y = Ops.MaxPool2d(x, new Pool2dGeometry(2, 2, 2, 2));
        Assert.Equal(new Shape(1, 1, 2, 2), y.Shape);
        AssertClose([6, 8, 14, 16], y, 0);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void MaxPoolTreatsPaddingAsNegativeInfinity(DType dtype)
    {
        using var scope = DisposeScope.Enter();
        // x = −1..−9 in a 3×3 plane, 2×2 windows, stride 2, padding 1. The in-bounds parts of the windows are
        // {−1}, {−2, −3}, {−4, −7}, {−5, −6, −8, −9}; zero padding would give 0 for the first three.
        var x = ToTensor(Enumerable.Range(1, 9).Select(v => (double)-v).ToArray(), dtype, 1, 1, 3, 3);
        var y = Ops.MaxPool2d(x, new Pool2dGeometry(2, 2, 2, 2, 1, 1));
        AssertClose([-1, -2, -4, -5], y, 0);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void MaxPoolBackwardRoutesTiesToTheFirstMaximumInRowMajorOrder(DType dtype)
    {
        using var scope = DisposeScope.Enter();
        // Window 1 is all 5s: its first element (0,0) takes gy = 2. Window 2 is [1 7; 7 7]: (0,3) takes gy = 3.
        var x = ToTensor([5, 5, 1, 7, 5, 5, 7, 7], dtype, 1, 1, 2, 4);
        var g = new Pool2dGeometry(2, 2, 2, 2);
        var y = Ops.MaxPool2d(x, g);
        var gx = Ops.MaxPool2dBackward(x, y, ToTensor([2, 3], dtype, 1, 1, 1, 2), g);
        AssertClose([2, 0, 0, 3, 0, 0, 0, 0], gx, 0);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void MaxPoolBackwardAccumulatesWhereOverlappingWindowsShareTheirMaximum(DType dtype)
    {
        using var scope = DisposeScope.Enter();
        // 5×5 plane of small values with 9 at the centre; 3×3 windows at stride 2 all contain the centre (2,2),
        // so it collects every gradient: 1 + 2 + 3 + 4 = 10.
        var values = Enumerable.Range(0, 25).Select(v => v / 100.0).ToArray();
        values[12] = 9;
        var x = ToTensor(values, dtype, 1, 1, 5, 5);
        var g = new Pool2dGeometry(3, 3, 2, 2);
        var y = Ops.MaxPool2d(x, g);
        var gx = Ops.MaxPool2dBackward(x, y, ToTensor([1, 2, 3, 4], dtype, 1, 1, 2, 2), g);
        var expected = new double[25];
        expected[12] = 10;
        AssertClose(expected, gx, 0);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void AvgPoolIncludingPaddingDividesByTheWholeWindow(DType dtype)
    {
        using var scope = DisposeScope.Enter();
        // x = [1 2; 3 4], 2×2 windows, stride 1, padding 1 → 3×3 windows whose in-bounds sums are
        // [1 3 2; 4 10 6; 3 7 4], each divided by 4.
        var y = Ops.AvgPool2d(ToTensor([1, 2, 3, 4], dtype, 1, 1, 2, 2), new Pool2dGeometry(2, 2, 1, 1, 1, 1, CountIncludePad: true));
        AssertClose([0.25, 0.75, 0.5, 1, 2.5, 1.5, 0.75, 1.75, 1], y, 0);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void AvgPoolExcludingPaddingDividesByTheInBoundsCount(DType dtype)
    {
        using var scope = DisposeScope.Enter();
        // The same sums [1 3 2; 4 10 6; 3 7 4] over in-bounds counts [1 2 1; 2 4 2; 1 2 1].
        var y = Ops.AvgPool2d(ToTensor([1, 2, 3, 4], dtype, 1, 1, 2, 2), new Pool2dGeometry(2, 2, 1, 1, 1, 1, CountIncludePad: false));
        AssertClose([1, 1.5, 2, 2, 2.5, 3, 3, 3.5, 4], y, 0);
    }

    [Theory]
    [InlineData(DType.Float32, true, 1.0)]
    [InlineData(DType.Float64, true, 1.0)]
    [InlineData(DType.Float32, false, 2.25)]
    [InlineData(DType.Float64, false, 2.25)]
    public void AvgPoolBackwardSpreadsEachGradientEvenlyOverItsWindow(DType dtype, bool countIncludePad, double expected)
    {
        using var scope = DisposeScope.Enter();
        // Setting of the two tests above with gy = 1. Every input lies in four windows: counting padding, each
        // passes 1/4 (total 1); not counting it, a corner input gets 1/1 + 1/2 + 1/2 + 1/4 = 2.25, and by symmetry
        // so do the other three.
        var g = new Pool2dGeometry(2, 2, 1, 1, 1, 1, countIncludePad);
        var gx = Ops.AvgPool2dBackward(ToTensor(Enumerable.Repeat(1.0, 9).ToArray(), dtype, 1, 1, 3, 3), new Shape(1, 1, 2, 2), g);
        AssertClose(Enumerable.Repeat(expected, 4).ToArray(), gx, 1e-7);
    }

    /// <summary>Input shapes with windows as [kernelH, kernelW, strideH, strideW, padH, padW]; plain arrays keep
    /// each case a test of its own. The last shape is large enough for the planes to split across threads.</summary>
    public static TheoryData<DType, int[], int[]> Windows()
    {
        var data = new TheoryData<DType, int[], int[]>();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            data.Add(dtype, [1, 3, 7, 9], [3, 3, 2, 2, 1, 1]);
            data.Add(dtype, [2, 2, 6, 5], [2, 2, 2, 2, 1, 1]);
            data.Add(dtype, [1, 2, 8, 7], [3, 2, 2, 1, 1, 0]);
            data.Add(dtype, [3, 1, 5, 5], [3, 3, 1, 1, 1, 1]);
            data.Add(dtype, [2, 8, 64, 63], [3, 3, 2, 2, 1, 1]);
        }
        return data;
    }

    private static Pool2dGeometry Geometry(int[] window, bool countIncludePad = true) =>
        new(window[0], window[1], window[2], window[3], window[4], window[5], countIncludePad);

    [Theory]
    [MemberData(nameof(Windows))]
    public void MaxPoolMatchesTheNaiveReference(DType dtype, int[] shape, int[] window)
    {
        using var scope = DisposeScope.Enter();
        var g = Geometry(window);
        var x = AsStored(Uniform(shape.Aggregate(1, (a, b) => a * b), seed: 1), dtype);
        var y = Ops.MaxPool2d(ToTensor(x, dtype, shape), g);
        AssertClose(NaiveMaxPool(x, shape, g).Y, y, 0);
    }

    [Theory]
    [MemberData(nameof(Windows))]
    public void MaxPoolBackwardMatchesTheNaiveReference(DType dtype, int[] shape, int[] window)
    {
        using var scope = DisposeScope.Enter();
        var g = Geometry(window);
        var x = AsStored(Uniform(shape.Aggregate(1, (a, b) => a * b), seed: 2), dtype);
        var (y, argMax) = NaiveMaxPool(x, shape, g);
        var gy = AsStored(Uniform(y.Length, seed: 3), dtype);
        var xt = ToTensor(x, dtype, shape);
        var gx = Ops.MaxPool2dBackward(xt, Ops.MaxPool2d(xt, g), ToTensor(gy, dtype, OutputShape(shape, g)), g);
        var expected = new double[x.Length];
        for (int o = 0; o < gy.Length; o++) expected[argMax[o]] += gy[o];
        AssertClose(expected, gx, ToleranceFor(dtype));
    }

    [Theory]
    [MemberData(nameof(Windows))]
    public void AvgPoolMatchesTheNaiveReferenceWithAndWithoutPadding(DType dtype, int[] shape, int[] window)
    {
        using var scope = DisposeScope.Enter();
        var x = AsStored(Uniform(shape.Aggregate(1, (a, b) => a * b), seed: 4), dtype);
        foreach (var geometry in new[] { Geometry(window, countIncludePad: true), Geometry(window, countIncludePad: false) })
        {
            var y = Ops.AvgPool2d(ToTensor(x, dtype, shape), geometry);
            var expected = NaiveAvgPoolWindows(shape, geometry).Select(w => w.Indices.Sum(i => x[i]) / w.Divisor).ToArray();
            AssertClose(expected, y, ToleranceFor(dtype));
        }
    }

    [Theory]
    [MemberData(nameof(Windows))]
    public void AvgPoolBackwardMatchesTheNaiveReferenceWithAndWithoutPadding(DType dtype, int[] shape, int[] window)
    {
        using var scope = DisposeScope.Enter();
        foreach (var geometry in new[] { Geometry(window, countIncludePad: true), Geometry(window, countIncludePad: false) })
        {
            var windows = NaiveAvgPoolWindows(shape, geometry);
            var gy = AsStored(Uniform(windows.Length, seed: 5), dtype);
            var gx = Ops.AvgPool2dBackward(ToTensor(gy, dtype, OutputShape(shape, geometry)), new Shape(shape), geometry);
            var expected = new double[shape.Aggregate(1, (a, b) => a * b)];
            for (int o = 0; o < windows.Length; o++)
                foreach (int i in windows[o].Indices) expected[i] += gy[o] / windows[o].Divisor;
            AssertClose(expected, gx, ToleranceFor(dtype));
        }
    }

    private static int[] OutputShape(int[] shape, Pool2dGeometry g) =>
    [
        shape[0], shape[1],
        (shape[2] + 2 * g.PadH - g.KernelH) / g.StrideH + 1,
        (shape[3] + 2 * g.PadW - g.KernelW) / g.StrideW + 1,
    ];

    /// <summary>Every window position of every output in row-major order, as an index into x, or −1 where the
    /// position lies in the padding.</summary>
    private static IEnumerable<int[]> WindowPositions(int[] shape, Pool2dGeometry g)
    {
        var o = OutputShape(shape, g);
        int h = shape[2], w = shape[3];
        for (int plane = 0; plane < o[0] * o[1]; plane++)
            for (int p = 0; p < o[2]; p++)
                for (int q = 0; q < o[3]; q++)
                {
                    var positions = new List<int>();
                    for (int i = 0; i < g.KernelH; i++)
                        for (int j = 0; j < g.KernelW; j++)
                        {
                            int row = p * g.StrideH - g.PadH + i, column = q * g.StrideW - g.PadW + j;
                            bool inside = row >= 0 && row < h && column >= 0 && column < w;
                            positions.Add(inside ? (plane * h + row) * w + column : -1);
                        }
                    yield return positions.ToArray();
                }
    }

    /// <summary>Window maxima, padding as −∞, and the index of the first position holding each.</summary>
    private static (double[] Y, int[] ArgMax) NaiveMaxPool(double[] x, int[] shape, Pool2dGeometry g)
    {
        var y = new List<double>();
        var argMax = new List<int>();
        foreach (var window in WindowPositions(shape, g))
        {
            double best = double.NegativeInfinity;
            int at = -1;
            foreach (int i in window)
            {
                double v = i < 0 ? double.NegativeInfinity : x[i];
                if (v > best)
                {
                    best = v;
                    at = i;
                }
            }
            y.Add(best);
            argMax.Add(at);
        }
        return (y.ToArray(), argMax.ToArray());
    }

    /// <summary>The in-bounds inputs of each window and what torch.nn.AvgPool2d divides their sum by.</summary>
    private static (int[] Indices, int Divisor)[] NaiveAvgPoolWindows(int[] shape, Pool2dGeometry g) =>
        WindowPositions(shape, g).Select(window =>
        {
            var inside = window.Where(i => i >= 0).ToArray();
            return (inside, g.CountIncludePad ? window.Length : inside.Length);
        }).ToArray();
}
