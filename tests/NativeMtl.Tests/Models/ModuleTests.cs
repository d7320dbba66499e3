using NativeMtl.Models;
using NativeMtl.Raw;

namespace NativeMtl.Tests.Models;

public class ModuleTests
{
    private sealed class Block : Layer
    {
        public Block(Generator g)
        {
            Conv = AddModule("conv1", new Conv2d(3, 4, 3, g, padding: 1, bias: false));
            Bn = AddModule("bn1", new BatchNorm2d(4));
        }

        public Conv2d Conv { get; }

        public BatchNorm2d Bn { get; }

        protected override NativeMtl.Tensor ForwardCore(NativeMtl.Tensor x) => F.Relu(Bn.Forward(Conv.Forward(x)));
    }

    [Fact]
    public void ParameterAndBufferPathsFollowPyTorchNaming()
    {
        using var net = new Sequential(new Block(new Generator(1)), new Conv2d(4, 2, 1, new Generator(2)));
        Assert.Equal(["0.conv1.weight", "0.bn1.weight", "0.bn1.bias", "1.weight", "1.bias"], net.NamedParameters().Select(p => p.Path));
        Assert.Equal(["0.bn1.running_mean", "0.bn1.running_var"], net.NamedBuffers().Select(b => b.Path));
        Assert.Equal(4 * 3 * 9 + 4 + 4 + 2 * 4 + 2, net.ParameterCount);
    }

    [Fact]
    public void StateDictListsEachModulesParametersThenBuffersThenChildrenAsTorchDoes()
    {
        using var net = new Sequential(new Block(new Generator(1)), new BatchNorm2d(2));
        Assert.Equal(["0.conv1.weight", "0.bn1.weight", "0.bn1.bias", "0.bn1.running_mean", "0.bn1.running_var",
            "1.weight", "1.bias", "1.running_mean", "1.running_var"], net.StateDict().Select(e => e.Path));
    }

    [Fact]
    public void NamedModulesWalksEveryDescendantWithItsPath()
    {
        using var net = new Sequential(new Block(new Generator(1)), new ReLU());
        Assert.Equal(["0", "0.conv1", "0.bn1", "1"], net.NamedModules().Select(m => m.Path));
    }

    [Fact]
    public void ModuleDictNamesChildrenByKeyAndRefusesRepeats()
    {
        using var dict = new ModuleDict<Layer>().Add("seg", new Conv2d(1, 1, 1, new Generator(1))).Add("depth", new ReLU());
        Assert.Equal(["seg.weight", "seg.bias"], dict.NamedParameters().Select(p => p.Path));
        Assert.Equal(["seg", "depth"], dict.Keys);
        Assert.Equal("ModuleDict: a member named 'seg' already exists", Assert.Throws<ArgumentException>(() => dict.Add("seg", new ReLU())).Message);
        Assert.Equal("ModuleDict: no entry 'normal' (has seg, depth)", Assert.Throws<KeyNotFoundException>(() => dict["normal"]).Message);
    }

    [Fact]
    public void EvalPropagatesToEveryChild()
    {
        using var block = new Block(new Generator(1));
        block.Eval();
        Assert.False(block.Bn.Training);
        block.Train();
        Assert.True(block.Conv.Training);
    }

    [Fact]
    public void DefaultConvInitializationIsUniformWithinOneOverRootFanIn()
    {
        using var conv = new Conv2d(8, 16, 3, new Generator(3));
        double bound = 1 / Math.Sqrt(8 * 9);
        var w = conv.Weight.Value.ToArray<float>();
        Assert.All(w, v => Assert.InRange(v, -bound, bound));
        Assert.True(w.Max() > 0.9 * bound && w.Min() < -0.9 * bound);
    }

    [Fact]
    public void LinearComputesXTimesWeightTransposedPlusBias()
    {
        using var linear = new Linear(2, 1, new Generator(1));
        Ops.CopyInto(Tensors.FromArray([2f, -1], 1, 2), linear.Weight.Value);
        Ops.CopyInto(Tensors.FromArray([0.5f], 1), linear.Bias!.Value);
        using var scope = DisposeScope.Enter();
        Assert.Equal([2f * 3 - 1 * 4 + 0.5f], linear.Forward(Tensors.FromArray([3f, 4], 1, 2)).ToArray<float>());
    }

    [Fact]
    public void DropoutIsTheIdentityInEvaluationAndRescalesInTraining()
    {
        using var scope = DisposeScope.Enter();
        var dropout = new Dropout(0.25, new Generator(4));
        var x = Tensors.Ones(new Shape(10_000));
        var y = dropout.Forward(x).ToArray<float>();
        Assert.All(y, v => Assert.True(v == 0 || Math.Abs(v - 1 / 0.75f) < 1e-6));
        Assert.InRange(y.Count(v => v == 0) / 10_000.0, 0.23, 0.27);
        dropout.Eval();
        Assert.Same(x, dropout.Forward(x));
    }

    [Fact]
    public void DuplicateMemberNamesAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new Duplicate());
        Assert.Equal("Duplicate: a member named 'weight' already exists", e.Message);
    }

    private sealed class Duplicate : Module
    {
        public Duplicate()
        {
            AddParameter("weight", Tensors.Zeros(new Shape(1)));
            AddBuffer("weight", Tensors.Zeros(new Shape(1)));
        }
    }
}
