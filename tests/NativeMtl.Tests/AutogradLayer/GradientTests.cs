using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Tests.AutogradLayer;

/// <summary>Every differentiable function against central finite differences in Float64.</summary>
public class GradientTests
{
    private sealed record Case(Func<NativeMtl.Tensor[], NativeMtl.Tensor> Function, Func<NativeMtl.Tensor[]> Inputs);

    private static NativeMtl.Tensor X(int seed, params int[] shape) => TestData.Tensor(new Shape(shape), seed, requiresGrad: true);

    private static NativeMtl.Tensor Positive(int seed, params int[] shape) => TestData.Tensor(new Shape(shape), seed, 0.5, 2, requiresGrad: true);

    /// <summary>Offsets of deformable convolution: non-integer, so no sample sits on a kink of the bilinear interpolation.</summary>
    private static NativeMtl.Tensor Offsets(int seed, params int[] shape) => TestData.Tensor(new Shape(shape), seed, -2.5, 2.5, requiresGrad: true);

    private static NativeMtl.Tensor Constant(int seed, params int[] shape) => TestData.Tensor(new Shape(shape), seed);

    private static NativeMtl.Tensor Labels(int[] values, params int[] shape) => Tensors.FromArray(values, new Shape(shape));

    private static readonly Dictionary<string, Case> Cases = new()
    {
        ["Add broadcasting size-1 and missing axes"] = new(x => F.Add(x[0], x[1]), () => [X(1, 2, 1, 3), X(2, 4, 1)]),
        ["Sub"] = new(x => F.Sub(x[0], x[1]), () => [X(1, 3, 4), X(2, 4)]),
        ["Mul broadcasting"] = new(x => F.Mul(x[0], x[1]), () => [X(1, 2, 3, 1), X(2, 1, 4)]),
        ["Div"] = new(x => F.Div(x[0], x[1]), () => [X(1, 2, 3), Positive(2, 3)]),
        ["Pow tensor exponent"] = new(x => F.Pow(x[0], x[1]), () => [Positive(1, 2, 3), X(2, 2, 3)]),
        ["Neg"] = new(x => F.Neg(x[0]), () => [X(1, 5)]),
        ["MulAdd"] = new(x => F.MulAdd(x[0], -2.5, 3), () => [X(1, 5)]),
        ["Square"] = new(x => F.Square(x[0]), () => [X(1, 5)]),
        ["Where"] = new(x => F.Where(Tensors.FromArray([1.0, 0, 0, 1, 1, 0], 2, 3), x[0], x[1]), () => [X(1, 2, 3), X(2, 3)]),
        ["Exp"] = new(x => F.Exp(x[0]), () => [X(1, 2, 3)]),
        ["Log"] = new(x => F.Log(x[0]), () => [Positive(1, 2, 3)]),
        ["Sqrt"] = new(x => F.Sqrt(x[0]), () => [Positive(1, 2, 3)]),
        ["Pow scalar exponent"] = new(x => F.Pow(x[0], 2.5), () => [Positive(1, 2, 3)]),
        ["Abs"] = new(x => F.Abs(x[0]), () => [X(1, 7)]),
        ["Relu"] = new(x => F.Relu(x[0]), () => [X(1, 7)]),
        ["Sigmoid"] = new(x => F.Sigmoid(x[0]), () => [X(1, 7)]),
        ["Tanh"] = new(x => F.Tanh(x[0]), () => [X(1, 7)]),
        ["Clamp"] = new(x => F.Clamp(x[0], -0.3, 0.4), () => [X(1, 9)]),
        ["Sum over all axes"] = new(x => F.Sum(x[0]), () => [X(1, 2, 3)]),
        ["Sum over several axes"] = new(x => F.Sum(x[0], [0, 2]), () => [X(1, 2, 3, 4)]),
        ["Sum keeping dims"] = new(x => F.Sum(x[0], [1], keepDims: true), () => [X(1, 2, 3, 4)]),
        ["Mean over several axes"] = new(x => F.Mean(x[0], [1, 3]), () => [X(1, 2, 3, 4, 2)]),
        ["Max"] = new(x => F.Max(x[0], [1]), () => [X(1, 3, 5)]),
        ["Max over all axes"] = new(x => F.Max(x[0]), () => [X(1, 3, 5)]),
        ["Norm"] = new(x => F.Norm(x[0], [1]), () => [X(1, 3, 4)]),
        ["Matmul"] = new(x => F.Matmul(x[0], x[1]), () => [X(1, 3, 4), X(2, 4, 5)]),
        ["Matmul batched"] = new(x => F.Matmul(x[0], x[1]), () => [X(1, 2, 3, 4), X(2, 2, 4, 5)]),
        ["Matmul broadcast batch"] = new(x => F.Matmul(x[0], x[1]), () => [X(1, 3, 4), X(2, 2, 4, 5)]),
        ["Matmul of a transposed view"] = new(x => F.Matmul(F.Transpose(x[0], 0, 1), x[1]), () => [X(1, 4, 3), X(2, 4, 2)]),
        ["Conv2d 3x3 padding 1 with bias"] = new(x => F.Conv2d(x[0], x[1], x[2], new(PadH: 1, PadW: 1)), () => [X(1, 2, 3, 5, 4), X(2, 4, 3, 3, 3), X(3, 4)]),
        ["Conv2d 1x1"] = new(x => F.Conv2d(x[0], x[1]), () => [X(1, 2, 3, 4, 4), X(2, 5, 3, 1, 1)]),
        ["Conv2d stride 2 padding 0 odd size"] = new(x => F.Conv2d(x[0], x[1], null, new(StrideH: 2, StrideW: 2)), () => [X(1, 1, 2, 7, 5), X(2, 3, 2, 3, 3)]),
        ["Conv2d dilation 2"] = new(x => F.Conv2d(x[0], x[1], null, new(PadH: 2, PadW: 2, DilationH: 2, DilationW: 2)), () => [X(1, 1, 2, 6, 6), X(2, 2, 2, 3, 3)]),
        ["Conv2d groups"] = new(x => F.Conv2d(x[0], x[1], x[2], new(PadH: 1, PadW: 1, Groups: 2)), () => [X(1, 2, 4, 4, 4), X(2, 6, 2, 3, 3), X(3, 6)]),
        // Offsets up to ±2.5 pixels: with the padding, many samples have some or all corners outside the image.
        ["DeformConv2d 3x3 padding 1 with bias"] = new(x => F.DeformConv2d(x[0], x[1], x[2], x[3], new(PadH: 1, PadW: 1)),
            () => [X(1, 2, 2, 4, 5), Offsets(2, 2, 18, 4, 5), X(3, 3, 2, 3, 3), X(4, 3)]),
        ["DeformConv2d 2x3 stride 2 dilation 2"] = new(x => F.DeformConv2d(x[0], x[1], x[2], null, new(StrideH: 2, StrideW: 2, PadH: 1, PadW: 1, DilationH: 2, DilationW: 2)),
            () => [X(1, 1, 3, 6, 7), Offsets(2, 1, 12, 3, 3), X(3, 2, 3, 2, 3)]),
        ["BatchNorm2d training"] = new(x => F.BatchNorm2d(x[0], x[1], x[2], Tensors.Zeros(new Shape(3), DType.Float64), Tensors.Ones(new Shape(3), DType.Float64), training: true),
            () => [X(1, 2, 3, 4, 3), Positive(2, 3), X(3, 3)]),
        ["BatchNorm2d evaluation"] = new(x => F.BatchNorm2d(x[0], x[1], x[2], Constant(4, 3), TestData.Tensor(new Shape(3), 5, 0.5, 2), training: false),
            () => [X(1, 2, 3, 4, 3), Positive(2, 3), X(3, 3)]),
        ["MaxPool2d 3x3 stride 2 padding 1"] = new(x => F.MaxPool2d(x[0], new Pool2dGeometry(3, 3, 2, 2, 1, 1)), () => [X(1, 2, 2, 7, 6)]),
        ["AvgPool2d including padding"] = new(x => F.AvgPool2d(x[0], new Pool2dGeometry(3, 3, 2, 2, 1, 1)), () => [X(1, 2, 2, 7, 6)]),
        ["AvgPool2d excluding padding"] = new(x => F.AvgPool2d(x[0], new Pool2dGeometry(3, 3, 2, 2, 1, 1, CountIncludePad: false)), () => [X(1, 1, 2, 5, 5)]),
        ["UpsampleBilinear2d up"] = new(x => F.UpsampleBilinear2d(x[0], 7, 10), () => [X(1, 2, 2, 3, 4)]),
        ["UpsampleBilinear2d down"] = new(x => F.UpsampleBilinear2d(x[0], 3, 2), () => [X(1, 1, 2, 7, 5)]),
        ["Reshape"] = new(x => F.Mul(F.Reshape(x[0], 3, -1), Constant(9, 3, 4)), () => [X(1, 2, 6)]),
        ["Permute"] = new(x => F.Mul(F.Permute(x[0], 2, 0, 1), Constant(9, 4, 2, 3)), () => [X(1, 2, 3, 4)]),
        ["Slice with step"] = new(x => F.Slice(x[0], 1, 1, 7, 2), () => [X(1, 2, 8)]),
        ["BroadcastTo"] = new(x => F.Mul(F.BroadcastTo(x[0], new Shape(2, 3, 4)), Constant(9, 2, 3, 4)), () => [X(1, 3, 1)]),
        ["Unsqueeze and Squeeze"] = new(x => F.Squeeze(F.Mul(F.Unsqueeze(x[0], 1), Constant(9, 2, 1, 3)), 1), () => [X(1, 2, 3)]),
        ["Concat"] = new(x => F.Concat(1, x[0], x[1], x[0]), () => [X(1, 2, 1, 3), X(2, 2, 2, 3)]),
        ["Softmax along channels"] = new(x => F.Softmax(x[0], 1), () => [X(1, 2, 4, 3)]),
        ["LogSoftmax along the last axis"] = new(x => F.LogSoftmax(x[0], -1), () => [X(1, 3, 5)]),
        ["NllLoss"] = new(x => F.NllLoss(x[0], Labels([0, 2, -100, 1], 2, 2), -100).Loss, () => [X(1, 2, 3, 2)]),
        ["CrossEntropy with ignored pixels"] = new(x => F.CrossEntropy(x[0], Labels([0, 2, -1, 1, 3, -1], 1, 2, 3), ignoreIndex: -1), () => [X(1, 1, 4, 2, 3)]),
        ["MaskedL1"] = new(x => F.MaskedL1(x[0], Constant(8, 2, 3, 2, 2), Tensors.FromArray([1.0, 0, 1, 1, 0, 1, 1, 0], 2, 1, 2, 2)), () => [X(1, 2, 3, 2, 2)]),
        ["MaskedL1 with a target that needs a gradient"] = new(x => F.MaskedL1(x[0], x[1], Tensors.FromArray([1.0, 0, 1, 1, 0, 1, 1, 0], 2, 1, 2, 2)), () => [X(1, 2, 3, 2, 2), X(2, 2, 3, 2, 2)]),
        ["ClassSum with labels out of range"] = new(x => F.ClassSum(x[0], Labels([0, 2, -1, 1, 2, 3, 0, 4, 2, 1], 2, 5), 4), () => [X(1, 2, 5)]),
        ["CosineSimilarity along channels"] = new(x => F.CosineSimilarity(x[0], x[1]), () => [X(1, 2, 3, 2, 2), X(2, 2, 3, 2, 2)]),
        ["Operators"] = new(x => (x[0] * x[1] - x[0] / 2.0 + 1.0) / (3.0 + x[1] * x[1]) * -x[0], () => [X(1, 2, 3), X(2, 2, 3)]),
    };

    public static TheoryData<string> CaseNames => new(Cases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void AnalyticGradientMatchesCentralDifferences(string name)
    {
        using var scope = DisposeScope.Enter();
        var c = Cases[name];
        foreach (var result in GradCheck.Run(c.Function, c.Inputs()))
            Assert.True(result.RelativeError < 1e-6, $"{name}, {result}");
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void TangentMatchesCentralDifferences(string name)
    {
        using var scope = DisposeScope.Enter();
        var c = Cases[name];
        var result = GradCheck.Jvp(c.Function, c.Inputs());
        Assert.True(result.RelativeError < 1e-6, $"{name}, {result}");
    }

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void ForwardModeIsTheTransposeOfReverseMode(string name)
    {
        using var scope = DisposeScope.Enter();
        var c = Cases[name];
        var result = GradCheck.Adjoint(c.Function, c.Inputs());
        Assert.True(result.RelativeError < 1e-12, $"{name}, {result}");
    }

    /// <summary>Each function gets its differentiable inputs as intermediates (x·1) whose handles are disposed right
    /// after the forward pass: a rule that reads anything but what it saved finds a disposed tensor. The gradients
    /// must be the ones a run that keeps every handle gets.</summary>
    [Theory]
    [MemberData(nameof(CaseNames))]
    public void RulesReadOnlyWhatTheirFunctionSaved(string name)
    {
        using var scope = DisposeScope.Enter();
        var c = Cases[name];
        var leaves = c.Inputs();
        var differentiable = leaves.Where(x => x.RequiresGrad).ToArray();
        double[][] Gradients(bool disposeInputs)
        {
            using var inner = DisposeScope.Enter();
            var intermediates = leaves.Select(x => x.RequiresGrad ? F.MulAdd(x, 1) : x).ToArray();
            var y = c.Function(intermediates);
            if (disposeInputs)
                foreach (var (x, leaf) in intermediates.Zip(leaves))
                    if (!ReferenceEquals(x, leaf)) x.Dispose();
            var loss = F.Sum(F.Mul(y, Tensors.Normal(y.Shape, new Generator(3), dtype: DType.Float64)));
            return Autograd.Grad([loss], differentiable).Select(g => g.ToArray<double>()).ToArray();
        }
        var kept = Gradients(disposeInputs: false);
        var disposed = Gradients(disposeInputs: true);
        for (int i = 0; i < kept.Length; i++) Assert.Equal(kept[i], disposed[i]);
    }

    [Fact]
    public void TheTangentCheckersCatchAWrongForwardRule()
    {
        using var scope = DisposeScope.Enter();
        // x², with a forward rule that forgets the factor 2.
        static NativeMtl.Tensor BrokenSquare(NativeMtl.Tensor[] xs) => Autograd.Record("BrokenSquare", Ops.Unary(UnaryOp.Square, xs[0]), [xs[0]], [xs[0]],
            (gy, s, _) => [Ops.Mul(gy, Ops.MulAdd(s[0]!, 2))], t => Ops.Mul(t[0]!, xs[0]));
        Assert.True(GradCheck.Jvp(BrokenSquare, [X(1, 4)]).RelativeError > 0.1);
        Assert.True(GradCheck.Adjoint(BrokenSquare, [X(1, 4)]).RelativeError > 0.1);
    }

    [Fact]
    public void TheCheckerCatchesAWrongBackwardRule()
    {
        using var scope = DisposeScope.Enter();
        // Value x², but the detach trick makes autograd report exp(x) as the gradient.
        var broken = GradCheck.Run(xs => F.Add(F.Detach(F.Square(xs[0])), F.Sub(F.Exp(xs[0]), F.Detach(F.Exp(xs[0])))), [X(1, 4)]);
        Assert.True(broken[0].RelativeError > 0.1, broken[0].ToString());
    }
}
