using NativeMtl.Kernels;
using NativeMtl.Models;
using NativeMtl.Raw;

namespace NativeMtl.Tests.Models;

public class ParameterGroupTests
{
    [Fact]
    public void FlatteningKeepsValuesAndLaysParametersOutBackToBack()
    {
        using var linear = new Linear(3, 2, new Generator(1));
        var weight = linear.Weight.Value.ToArray<float>();
        var bias = linear.Bias!.Value.ToArray<float>();
        using var group = new ParameterGroup("head", linear.NamedParameters());
        Assert.Equal(8, group.Size);
        Assert.Equal(weight.Concat(bias), group.Values.ToArray<float>());
        Assert.Equal(weight, linear.Weight.Value.ToArray<float>());
        Assert.Equal([0L, 6L], group.Members.Select(m => m.Offset));
    }

    [Fact]
    public void BackwardAccumulatesIntoTheGradientArena()
    {
        using var linear = new Linear(2, 1, new Generator(1));
        using var group = new ParameterGroup("head", linear.NamedParameters());
        for (int i = 0; i < 2; i++)
        {
            using var scope = DisposeScope.Enter();
            F.Sum(linear.Forward(Tensors.FromArray([1f, 2], 1, 2))).Backward();
        }
        // d/dW = x, d/db = 1, twice.
        Assert.Equal([2f, 4, 2], group.Grads.ToArray<float>());
        group.ZeroGrad();
        Assert.Equal([0f, 0, 0], linear.Weight.Value.Grad!.ToArray<float>().Concat(linear.Bias!.Value.Grad!.ToArray<float>()));
    }

    [Fact]
    public void AnOptimizerStepUpdatesTheWholeGroupAsPerTensorStepsWould()
    {
        using var a = new Linear(4, 3, new Generator(2));
        using var b = new Linear(4, 3, new Generator(2));
        using var group = new ParameterGroup("g", a.NamedParameters());
        var options = new SgdOptions(0.1, Momentum: 0.9, WeightDecay: 0.01);
        using var sgd = new Sgd([group], options);
        var buffers = b.Parameters().Select(p => Tensors.ZerosLike(p.Value)).ToArray();
        for (int step = 0; step < 3; step++)
        {
            using var scope = DisposeScope.Enter();
            var x = Tensors.Normal(new Shape(5, 4), new Generator((ulong)step));
            sgd.ZeroGrad();
            F.Sum(F.Square(a.Forward(x))).Backward();
            sgd.Step();
            foreach (var p in b.Parameters()) p.Value.Grad = null;
            F.Sum(F.Square(b.Forward(x))).Backward();
            var ps = b.Parameters().ToArray();
            for (int i = 0; i < ps.Length; i++) Ops.SgdStep(ps[i].Value, ps[i].Value.Grad!, buffers[i], options, step == 0);
        }
        Assert.Equal(b.Parameters().SelectMany(p => p.Value.ToArray<float>()), group.Values.ToArray<float>());
        Assert.Equal(3, sgd.Steps);
        Assert.Equal(["sgd.g.momentum"], sgd.State().Select(s => s.Name));
    }

    [Fact]
    public void MixedDTypesCannotShareAGroup()
    {
        using var a = new Linear(1, 1, new Generator(1));
        using var b = new Linear(1, 1, new Generator(1), dtype: DType.Float64);
        var e = Assert.Throws<ArgumentException>(() => new ParameterGroup("g", a.NamedParameters("a.").Concat(b.NamedParameters("b."))));
        Assert.Equal("parameter group 'g': b.weight is Float64 on cpu, the group is Float32 on cpu", e.Message);
    }
}
