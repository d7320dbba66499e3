using NativeMtl.Kernels;
using NativeMtl.Raw;
using static NativeMtl.Tests.Kernels.NnTestData;

namespace NativeMtl.Tests.Kernels;

public class UpsampleBilinear2dTests
{
    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void TwoByTwoToFourByFourGivesPyTorchsValues(DType dtype)
    {
        using var scope = DisposeScope.Enter();
        // scale = 2/4; src = max((d + 0.5)·0.5 − 0.5, 0) = 0, 0.25, 0.75, 1.25 for d = 0..3, the last clamped to
        // index 1 (i0 = 1, i1 = min(2, 1) = 1). A row [a, b] becomes [a, 0.75a + 0.25b, 0.25a + 0.75b, b]:
        // [1, 2] → [1, 1.25, 1.75, 2] and [3, 4] → [3, 3.25, 3.75, 4]; the rows mix with the same weights.
        var y = Ops.UpsampleBilinear2d(ToTensor([1, 2, 3, 4], dtype, 1, 1, 2, 2), 4, 4);
        Assert.Equal(new Shape(1, 1, 4, 4), y.Shape);
        AssertClose(
        [
            1.0, 1.25, 1.75, 2.0,
            1.5, 1.75, 2.25, 2.5,
            2.5, 2.75, 3.25, 3.5,
            3.0, 3.25, 3.75, 4.0,
        ], y, 0);
    }

    [Theory]
    [InlineData(DType.Float32)]
    [InlineData(DType.Float64)]
    public void ResizingToTheSameSizeIsTheIdentity(DType dtype)
    {
        using var scope = DisposeScope.Enter();
        var x = AsStored(Uniform(2 * 3 * 5 * 4, seed: 1), dtype);
        AssertClose(x, Ops.UpsampleBilinear2d(ToTensor(x, dtype, 2, 3, 5, 4), 5, 4), 0);
    }

    /// <summary>Input shapes and output sizes; the last is large enough for the planes to split across threads.</summary>
    public static TheoryData<DType, int[], int, int> Resizes()
    {
        var data = new TheoryData<DType, int[], int, int>();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            data.Add(dtype, [2, 3, 4, 5], 8, 10);
            data.Add(dtype, [1, 2, 5, 7], 12, 9);
            data.Add(dtype, [1, 1, 9, 9], 4, 5);
            data.Add(dtype, [2, 1, 1, 1], 3, 2);
            data.Add(dtype, [1, 2, 6, 3], 1, 1);
            data.Add(dtype, [2, 8, 32, 32], 64, 48);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Resizes))]
    public void ForwardMatchesTheNaiveReference(DType dtype, int[] shape, int height, int width)
    {
        using var scope = DisposeScope.Enter();
        var x = AsStored(Uniform(shape.Aggregate(1, (a, b) => a * b), seed: 2), dtype);
        var y = Ops.UpsampleBilinear2d(ToTensor(x, dtype, shape), height, width);
        Assert.Equal(new Shape(shape[0], shape[1], height, width), y.Shape);
        AssertClose(NaiveForward(x, shape, height, width), y, ToleranceFor(dtype));
    }

    [Theory]
    [MemberData(nameof(Resizes))]
    public void BackwardMatchesTheNaiveReference(DType dtype, int[] shape, int height, int width)
    {
        using var scope = DisposeScope.Enter();
        var gy = AsStored(Uniform(shape[0] * shape[1] * height * width, seed: 3), dtype);
        var gx = Ops.UpsampleBilinear2dBackward(ToTensor(gy, dtype, shape[0], shape[1], height, width), new Shape(shape));
        AssertClose(NaiveBackward(gy, shape, height, width), gx, ToleranceFor(dtype));
    }

    [Theory]
    [InlineData(new[] { 2, 3, 4, 5 }, 8, 10)]
    [InlineData(new[] { 1, 2, 5, 7 }, 12, 9)]
    [InlineData(new[] { 1, 1, 9, 9 }, 4, 5)]
    [InlineData(new[] { 1, 2, 6, 3 }, 1, 1)]
    [InlineData(new[] { 2, 8, 32, 32 }, 64, 48)]
    public void BackwardIsTheAdjointOfForward(int[] shape, int height, int width)
    {
        using var scope = DisposeScope.Enter();
        var x = Uniform(shape.Aggregate(1, (a, b) => a * b), seed: 4);
        var g = Uniform(shape[0] * shape[1] * height * width, seed: 5);
        var up = Ops.UpsampleBilinear2d(Tensors.FromArray(x, shape), height, width).ToArray<double>();
        var down = Ops.UpsampleBilinear2dBackward(Tensors.FromArray(g, shape[0], shape[1], height, width), new Shape(shape)).ToArray<double>();
        // ⟨up(x), g⟩ = ⟨x, upᵀ(g)⟩
        double left = up.Zip(g, (a, b) => a * b).Sum();
        double right = x.Zip(down, (a, b) => a * b).Sum();
        Assert.True(Math.Abs(left - right) <= 1e-12 * Math.Abs(left), $"⟨up(x), g⟩ = {left:R}, ⟨x, upᵀ(g)⟩ = {right:R}");
    }

    /// <summary>Source rows (or columns) and weights of PyTorch's upsample_bilinear2d, align_corners=false,
    /// output size given: src = max((d + 0.5)·in/out − 0.5, 0), i0 = ⌊src⌋, i1 = min(i0 + 1, in − 1), λ = src − i0.</summary>
    private static (int I0, int I1, double Lambda) Source(int d, int input, int output)
    {
        double src = Math.Max((d + 0.5) * input / output - 0.5, 0);
        int i0 = (int)Math.Floor(src);
        return (i0, Math.Min(i0 + 1, input - 1), src - i0);
    }

    /// <summary>The four (input index, weight) pairs that output (plane, oh, ow) reads.</summary>
    private static IEnumerable<(int Index, double Weight)> Taps(int[] shape, int height, int width, int plane, int oh, int ow)
    {
        int h = shape[2], w = shape[3];
        var (h0, h1, lh) = Source(oh, h, height);
        var (w0, w1, lw) = Source(ow, w, width);
        yield return ((plane * h + h0) * w + w0, (1 - lh) * (1 - lw));
        yield return ((plane * h + h0) * w + w1, (1 - lh) * lw);
        yield return ((plane * h + h1) * w + w0, lh * (1 - lw));
        yield return ((plane * h + h1) * w + w1, lh * lw);
    }

    private static double[] NaiveForward(double[] x, int[] shape, int height, int width)
    {
        var y = new double[shape[0] * shape[1] * height * width];
        for (int plane = 0, o = 0; plane < shape[0] * shape[1]; plane++)
            for (int oh = 0; oh < height; oh++)
                for (int ow = 0; ow < width; ow++, o++)
                    y[o] = Taps(shape, height, width, plane, oh, ow).Sum(t => t.Weight * x[t.Index]);
        return y;
    }

    private static double[] NaiveBackward(double[] gy, int[] shape, int height, int width)
    {
        var gx = new double[shape.Aggregate(1, (a, b) => a * b)];
        for (int plane = 0, o = 0; plane < shape[0] * shape[1]; plane++)
            for (int oh = 0; oh < height; oh++)
                for (int ow = 0; ow < width; ow++, o++)
                    foreach (var (index, weight) in Taps(shape, height, width, plane, oh, ow))
                        gx[index] += weight * gy[o];
        return gx;
    }
}
