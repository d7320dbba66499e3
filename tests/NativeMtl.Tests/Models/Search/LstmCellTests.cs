using NativeMtl.Models;
using NativeMtl.Raw;

namespace NativeMtl.Tests.Models.Search;

public class LstmCellTests
{
    [Fact]
    public void ParametersAreNamedAndShapedAsTorchLstmCell()
    {
        using var cell = new LstmCell(3, 2, new Generator(1));
        Assert.Equal(["weight_ih", "weight_hh", "bias_ih", "bias_hh"], cell.NamedParameters().Select(p => p.Path));
        Assert.Equal([new Shape(8, 3), new Shape(8, 2), new Shape(8), new Shape(8)], cell.Parameters().Select(p => p.Shape));
        Assert.All(cell.Parameters().SelectMany(p => p.Value.ToArray<float>()).Select(v => (double)v), v => Assert.InRange(v, -1 / Math.Sqrt(2), 1 / Math.Sqrt(2)));
    }

    [Fact]
    public void OneStepGatesInTheOrderInputForgetCellOutput()
    {
        using var scope = DisposeScope.Enter();
        using var cell = new LstmCell(1, 1, new Generator(1), DType.Float64);
        // Pre-activations with x = 1, h = 1: i = 0.5 − 0.5 + 0.25 − 0.25 = 0, f = ln 3, g = ln 2, o = −ln 3,
        // so σ(i) = 1/2, σ(f) = 3/4, tanh(g) = 3/5, σ(o) = 1/4.
        Ops.CopyInto(Tensors.FromArray([0.5, Math.Log(3), Math.Log(2), 0], 4, 1), cell.WeightIh.Value);
        Ops.CopyInto(Tensors.FromArray([-0.5, 0, 0, -Math.Log(3)], 4, 1), cell.WeightHh.Value);
        Ops.CopyInto(Tensors.FromArray([0.25, 0, 0, 0], 4), cell.BiasIh.Value);
        Ops.CopyInto(Tensors.FromArray([-0.25, 0, 0, 0], 4), cell.BiasHh.Value);

        var (h, c) = cell.Forward(Tensors.FromArray([1.0], 1, 1), Tensors.FromArray([1.0], 1, 1), Tensors.FromArray([0.4], 1, 1));

        // c' = 3/4 · 0.4 + 1/2 · 3/5 = 0.6; h' = 1/4 · tanh(0.6).
        Assert.Equal(0.6, c.Item(), 15);
        Assert.Equal(0.25 * Math.Tanh(0.6), h.Item(), 15);
    }

    [Fact]
    public void GradientsOfInputsStateAndWeightsMatchFiniteDifferences()
    {
        using var scope = DisposeScope.Enter();
        Tensor[] inputs =
        [
            TestData.Tensor(new Shape(2, 3), 1, requiresGrad: true),
            TestData.Tensor(new Shape(2, 2), 2, requiresGrad: true),
            TestData.Tensor(new Shape(2, 2), 3, requiresGrad: true),
            TestData.Tensor(new Shape(8, 3), 4, requiresGrad: true),
            TestData.Tensor(new Shape(8, 2), 5, requiresGrad: true),
            TestData.Tensor(new Shape(8), 6, requiresGrad: true),
            TestData.Tensor(new Shape(8), 7, requiresGrad: true),
        ];
        var results = GradCheck.Run(t =>
        {
            var (h, c) = LstmCell.Step(t[0], t[1], t[2], t[3], t[4], t[5], t[6]);
            return F.Concat(1, h, c);
        }, inputs);
        Assert.Equal(7, results.Length);
        Assert.All(results, r => Assert.True(r.RelativeError < 1e-7, r.ToString()));
    }

    [Fact]
    public void RefusesAnEmptySize()
    {
        var e = Assert.Throws<ArgumentException>(() => new LstmCell(0, 4, new Generator(1)));
        Assert.Equal("LstmCell: input and hidden sizes must be at least 1, not 0 and 4", e.Message);
    }
}
