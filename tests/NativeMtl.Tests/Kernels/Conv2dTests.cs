using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Tests.Kernels;

/// <summary>
/// Conv2d forward, backward-data and backward-filter against direct sums written straight from PyTorch's
/// definition (cross-correlation). Tolerances are relative to Σ|term| of each output's sum, the scale its
/// rounding error grows with, so an output that cancels to near zero is still checked meaningfully.
/// </summary>
public class Conv2dTests
{
    private const double Float64Tolerance = 1e-12;
    private const double Float32Tolerance = 1e-4;

    public sealed record Case(int N, int C, int H, int W, int K, int R, int S, Conv2dGeometry Geometry, bool Bias)
    {
        public int Groups => Geometry.Groups;
        public int P => Conv2dGeometry.OutputSize(H, R, Geometry.StrideH, Geometry.PadH, Geometry.DilationH);
        public int Q => Conv2dGeometry.OutputSize(W, S, Geometry.StrideW, Geometry.PadW, Geometry.DilationW);
        public Shape XShape => new(N, C, H, W);
        public Shape WShape => new(K, C / Groups, R, S);
        public Shape YShape => new(N, K, P, Q);
    }

    private static readonly int Cores = Environment.ProcessorCount;

    /// <summary>Stride 1, no padding, dilation 1, one group. Naming any argument selects the primary constructor
    /// and its defaults; a bare new() would be the all-zero struct.</summary>
    private static readonly Conv2dGeometry Plain = new(StrideH: 1);

    private static readonly Dictionary<string, Case> Catalogue = new()
    {
        ["1x1 kernel"] = new(2, 3, 5, 4, 4, 1, 1, Plain, Bias: true),
        ["1x1 kernel with more samples than cores"] = new(Cores + 1, 3, 4, 3, 2, 1, 1, Plain, Bias: false),
        ["1x1 kernel with stride 2"] = new(2, 3, 5, 5, 2, 1, 1, new(StrideH: 2, StrideW: 2), Bias: false),
        ["1x1 kernel with padding 1"] = new(2, 2, 3, 4, 3, 1, 1, new(PadH: 1, PadW: 1), Bias: true),
        ["3x3 kernel with padding 0"] = new(2, 3, 6, 6, 4, 3, 3, Plain, Bias: false),
        ["3x3 kernel with padding 1"] = new(2, 3, 6, 6, 4, 3, 3, new(PadH: 1, PadW: 1), Bias: true),
        ["3x3 kernel with stride 2"] = new(2, 3, 8, 8, 4, 3, 3, new(StrideH: 2, StrideW: 2, PadH: 1, PadW: 1), Bias: false),
        ["3x3 kernel with dilation 2"] = new(2, 2, 7, 7, 3, 3, 3, new(PadH: 2, PadW: 2, DilationH: 2, DilationW: 2), Bias: true),
        ["2 groups"] = new(2, 4, 5, 5, 6, 3, 3, new(PadH: 1, PadW: 1, Groups: 2), Bias: true),
        ["depthwise"] = new(2, 4, 5, 5, 4, 3, 3, new(PadH: 1, PadW: 1, Groups: 4), Bias: false),
        ["depthwise with more groups than cores and batch 1"] =
            new(1, Cores + 1, 5, 4, Cores + 1, 3, 3, new(PadH: 1, PadW: 1, Groups: Cores + 1), Bias: false),
        ["batch 1"] = new(1, 3, 5, 5, 2, 3, 3, new(PadH: 1, PadW: 1), Bias: true),
        ["more samples than cores"] = new(Cores + 1, 2, 5, 5, 3, 3, 3, new(PadH: 1, PadW: 1), Bias: true),
        ["odd 7x5 input"] = new(2, 3, 7, 5, 2, 3, 3, new(StrideH: 2, StrideW: 2, PadH: 1, PadW: 1), Bias: false),
        ["non-square 2x3 kernel"] = new(2, 2, 6, 5, 3, 2, 3, new(PadH: 1), Bias: true),
        ["different stride, padding and dilation per axis, 3 groups"] =
            new(2, 6, 9, 7, 3, 3, 2, new(StrideH: 2, StrideW: 1, PadH: 0, PadW: 2, DilationH: 1, DilationW: 2, Groups: 3), Bias: true),
        ["kernel larger than the unpadded input"] = new(2, 2, 3, 3, 2, 5, 5, new(PadH: 1, PadW: 1), Bias: false),
    };

    public static TheoryData<string> Cases => new(Catalogue.Keys);

    // ---- against the naive reference ----

    [Theory, MemberData(nameof(Cases))]
    public void ForwardMatchesNaiveReferenceInFloat64(string name)
    {
        var c = Catalogue[name];
        var (x, w, b) = (Uniform(c.XShape.Count, 1), Uniform(c.WShape.Count, 2), c.Bias ? Uniform(c.K, 3) : null);
        var (expected, scale) = NaiveForward(c, x, w, b);
        AssertClose(expected, scale, Forward(c, x, w, b), Float64Tolerance);
    }

    [Theory, MemberData(nameof(Cases))]
    public void ForwardMatchesNaiveReferenceInFloat32(string name)
    {
        var c = Catalogue[name];
        var (x, w, b) = (RandomSingle(c.XShape.Count, 1), RandomSingle(c.WShape.Count, 2), c.Bias ? RandomSingle(c.K, 3) : null);
        var (expected, scale) = NaiveForward(c, Widen(x), Widen(w), b is null ? null : Widen(b));
        AssertClose(expected, scale, Widen(Forward(c, x, w, b)), Float32Tolerance);
    }

    [Theory, MemberData(nameof(Cases))]
    public void BackwardDataMatchesNaiveReferenceInFloat64(string name)
    {
        var c = Catalogue[name];
        var (gy, w) = (Uniform(c.YShape.Count, 4), Uniform(c.WShape.Count, 5));
        var (expected, scale) = NaiveBackwardData(c, gy, w);
        AssertClose(expected, scale, BackwardData(c, gy, w), Float64Tolerance);
    }

    [Theory, MemberData(nameof(Cases))]
    public void BackwardDataMatchesNaiveReferenceInFloat32(string name)
    {
        var c = Catalogue[name];
        var (gy, w) = (RandomSingle(c.YShape.Count, 4), RandomSingle(c.WShape.Count, 5));
        var (expected, scale) = NaiveBackwardData(c, Widen(gy), Widen(w));
        AssertClose(expected, scale, Widen(BackwardData(c, gy, w)), Float32Tolerance);
    }

    [Theory, MemberData(nameof(Cases))]
    public void BackwardFilterMatchesNaiveReferenceInFloat64(string name)
    {
        var c = Catalogue[name];
        var (x, gy) = (Uniform(c.XShape.Count, 6), Uniform(c.YShape.Count, 7));
        var (expected, scale) = NaiveBackwardFilter(c, x, gy);
        AssertClose(expected, scale, BackwardFilter(c, x, gy), Float64Tolerance);
    }

    [Theory, MemberData(nameof(Cases))]
    public void BackwardFilterMatchesNaiveReferenceInFloat32(string name)
    {
        var c = Catalogue[name];
        var (x, gy) = (RandomSingle(c.XShape.Count, 6), RandomSingle(c.YShape.Count, 7));
        var (expected, scale) = NaiveBackwardFilter(c, Widen(x), Widen(gy));
        AssertClose(expected, scale, Widen(BackwardFilter(c, x, gy)), Float32Tolerance);
    }

    // ---- hand-worked example ----
    //
    // x = 1 2 3    w = 1 2    y[p,q] = Σ x[p+r, q+s]·w[r,s]:
    //     4 5 6        3 4    y = 1+4+12+20  2+6+15+24  =  37 47
    //     7 8 9                   4+10+21+32 5+12+24+36     67 77
    //
    // With gy = 1 everywhere, each x position collects the weights of the windows that cover it,
    //   gx = w00      w00+w01          w01       =  1  3  2
    //        w00+w10  w00+w01+w10+w11  w01+w11      4 10  6
    //        w10      w10+w11          w11          3  7  4
    // and each weight collects the x values it meets, gw[r,s] = Σ x[p+r, q+s]:
    //   gw = 1+2+4+5  2+3+5+6  =  12 16
    //        4+5+7+8  5+6+8+9     24 28

    private static readonly Case HandWorked = new(1, 1, 3, 3, 1, 2, 2, Plain, Bias: false);
    private static readonly double[] HandX = [1, 2, 3, 4, 5, 6, 7, 8, 9];
    private static readonly double[] HandW = [1, 2, 3, 4];

    [Fact]
    public void ForwardOfHandWorkedExample() =>
        Assert.Equal(new double[] { 37, 47, 67, 77 }, Forward(HandWorked, HandX, HandW, null));

    [Fact]
    public void BackwardDataOfHandWorkedExample() =>
        Assert.Equal(new double[] { 1, 3, 2, 4, 10, 6, 3, 7, 4 }, BackwardData(HandWorked, new double[] { 1, 1, 1, 1 }, HandW));

    [Fact]
    public void BackwardFilterOfHandWorkedExample() =>
        Assert.Equal(new double[] { 12, 16, 24, 28 }, BackwardFilter(HandWorked, HandX, new double[] { 1, 1, 1, 1 }));

    // ---- bias, shapes ----

    [Fact]
    public void BiasAddsItsValueToEveryOutputOfItsChannel()
    {
        var c = Catalogue["3x3 kernel with padding 1"];
        var (x, w, b) = (Uniform(c.XShape.Count, 1), Uniform(c.WShape.Count, 2), Uniform(c.K, 3));
        var with = Forward(c, x, w, b);
        var without = Forward(c, x, w, null);
        int plane = c.P * c.Q;
        for (int i = 0; i < with.Length; i++)
            Assert.Equal(without[i] + b[i / plane % c.K], with[i], 1e-14);
    }

    [Fact]
    public void ShapeMismatchNamesTheOpAndBothShapes()
    {
        using var x = Tensors.Zeros(new Shape(1, 3, 5, 5));
        using var w = Tensors.Zeros(new Shape(4, 2, 3, 3));
        var e = Assert.Throws<ShapeException>(() => Ops.Conv2d(x, w, null, Plain));
        Assert.Contains("Conv2d", e.Message);
        Assert.Contains(x.Shape.ToString(), e.Message);
        Assert.Contains(w.Shape.ToString(), e.Message);
    }

    // ---- through the public API ----

    private static T[] Forward<T>(Case c, T[] x, T[] w, T[]? b) where T : unmanaged
    {
        using var xt = Tensors.FromArray(x, c.XShape);
        using var wt = Tensors.FromArray(w, c.WShape);
        using var bt = b is null ? null : Tensors.FromArray(b, new Shape(c.K));
        using var y = Ops.Conv2d(xt, wt, bt, c.Geometry);
        Assert.Equal(c.YShape, y.Shape);
        return y.ToArray<T>();
    }

    private static T[] BackwardData<T>(Case c, T[] gy, T[] w) where T : unmanaged
    {
        using var gyt = Tensors.FromArray(gy, c.YShape);
        using var wt = Tensors.FromArray(w, c.WShape);
        using var gx = Ops.Conv2dBackwardData(gyt, wt, c.XShape, c.Geometry);
        return gx.ToArray<T>();
    }

    private static T[] BackwardFilter<T>(Case c, T[] x, T[] gy) where T : unmanaged
    {
        using var xt = Tensors.FromArray(x, c.XShape);
        using var gyt = Tensors.FromArray(gy, c.YShape);
        using var gw = Ops.Conv2dBackwardFilter(xt, gyt, c.WShape, c.Geometry);
        return gw.ToArray<T>();
    }

    // ---- naive references: each returns the sums and Σ|term| per output ----

    private static (double[] Y, double[] Scale) NaiveForward(Case c, double[] x, double[] w, double[]? b)
    {
        var g = c.Geometry;
        int cg = c.C / c.Groups, kg = c.K / c.Groups;
        var y = new double[c.YShape.Count];
        var scale = new double[y.Length];
        for (int n = 0; n < c.N; n++)
        for (int k = 0; k < c.K; k++)
        for (int p = 0; p < c.P; p++)
        for (int q = 0; q < c.Q; q++)
        {
            double sum = b?[k] ?? 0, magnitude = Math.Abs(sum);
            for (int ci = 0; ci < cg; ci++)
            for (int r = 0; r < c.R; r++)
            for (int s = 0; s < c.S; s++)
            {
                int h = p * g.StrideH - g.PadH + r * g.DilationH;
                int v = q * g.StrideW - g.PadW + s * g.DilationW;
                if (h < 0 || h >= c.H || v < 0 || v >= c.W) continue;
                double term = x[XIndex(c, n, k / kg * cg + ci, h, v)] * w[WIndex(c, k, ci, r, s)];
                sum += term;
                magnitude += Math.Abs(term);
            }
            int i = YIndex(c, n, k, p, q);
            (y[i], scale[i]) = (sum, magnitude);
        }
        return (y, scale);
    }

    /// <summary>gx[n,c,h,w] = Σ gy[n,k,p,q]·w[k,c',r,s] over the filters k of c's group and the (r, s) whose
    /// window position (p, q) lands on (h, w).</summary>
    private static (double[] Gx, double[] Scale) NaiveBackwardData(Case c, double[] gy, double[] w)
    {
        var g = c.Geometry;
        int cg = c.C / c.Groups, kg = c.K / c.Groups;
        var gx = new double[c.XShape.Count];
        var scale = new double[gx.Length];
        for (int n = 0; n < c.N; n++)
        for (int ch = 0; ch < c.C; ch++)
        for (int h = 0; h < c.H; h++)
        for (int v = 0; v < c.W; v++)
        {
            double sum = 0, magnitude = 0;
            int group = ch / cg, ci = ch % cg;
            for (int k = group * kg; k < (group + 1) * kg; k++)
            for (int r = 0; r < c.R; r++)
            for (int s = 0; s < c.S; s++)
            {
                int pStride = h + g.PadH - r * g.DilationH, qStride = v + g.PadW - s * g.DilationW;
                if (pStride % g.StrideH != 0 || qStride % g.StrideW != 0) continue;
                int p = pStride / g.StrideH, q = qStride / g.StrideW;
                if (p < 0 || p >= c.P || q < 0 || q >= c.Q) continue;
                double term = gy[YIndex(c, n, k, p, q)] * w[WIndex(c, k, ci, r, s)];
                sum += term;
                magnitude += Math.Abs(term);
            }
            int i = XIndex(c, n, ch, h, v);
            (gx[i], scale[i]) = (sum, magnitude);
        }
        return (gx, scale);
    }

    /// <summary>gw[k,c',r,s] = Σ gy[n,k,p,q]·x[n,c,h,w] over samples and output positions, where c is c' of k's
    /// group and (h, w) is where weight (r, s) of window (p, q) lands, when that is inside x.</summary>
    private static (double[] Gw, double[] Scale) NaiveBackwardFilter(Case c, double[] x, double[] gy)
    {
        var g = c.Geometry;
        int cg = c.C / c.Groups, kg = c.K / c.Groups;
        var gw = new double[c.WShape.Count];
        var scale = new double[gw.Length];
        for (int k = 0; k < c.K; k++)
        for (int ci = 0; ci < cg; ci++)
        for (int r = 0; r < c.R; r++)
        for (int s = 0; s < c.S; s++)
        {
            double sum = 0, magnitude = 0;
            for (int n = 0; n < c.N; n++)
            for (int p = 0; p < c.P; p++)
            for (int q = 0; q < c.Q; q++)
            {
                int h = p * g.StrideH - g.PadH + r * g.DilationH;
                int v = q * g.StrideW - g.PadW + s * g.DilationW;
                if (h < 0 || h >= c.H || v < 0 || v >= c.W) continue;
                double term = gy[YIndex(c, n, k, p, q)] * x[XIndex(c, n, k / kg * cg + ci, h, v)];
                sum += term;
                magnitude += Math.Abs(term);
            }
            int i = WIndex(c, k, ci, r, s);
            (gw[i], scale[i]) = (sum, magnitude);
        }
        return (gw, scale);
    }

    private static int XIndex(Case c, int n, int ch, int h, int w) => ((n * c.C + ch) * c.H + h) * c.W + w;

    private static int WIndex(Case c, int k, int ci, int r, int s) => ((k * (c.C / c.Groups) + ci) * c.R + r) * c.S + s;

    private static int YIndex(Case c, int n, int k, int p, int q) => ((n * c.K + k) * c.P + p) * c.Q + q;

    // ---- data and comparison ----

    private static double[] Uniform(long count, int seed)
    {
        var rng = new Random(seed);
        return Enumerable.Range(0, (int)count).Select(_ => rng.NextDouble() * 2 - 1).ToArray();
    }

    private static float[] RandomSingle(long count, int seed) => Uniform(count, seed).Select(v => (float)v).ToArray();

    private static double[] Widen(float[] values) => values.Select(v => (double)v).ToArray();

    private static void AssertClose(double[] expected, double[] scale, double[] actual, double tolerance)
    {
        Assert.Equal(expected.Length, actual.Length);
        for (int i = 0; i < expected.Length; i++)
        {
            double error = Math.Abs(actual[i] - expected[i]);
            Assert.True(error <= tolerance * scale[i],
                $"element {i}: expected {expected[i]:R}, got {actual[i]:R} (error {error:E2}, allowed {tolerance * scale[i]:E2})");
        }
    }
}
