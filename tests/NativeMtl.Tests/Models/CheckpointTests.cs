using NativeMtl.Kernels;
using NativeMtl.Models;
using NativeMtl.Raw;

namespace NativeMtl.Tests.Models;

public sealed class CheckpointTests : IDisposable
{
    private readonly CheckpointFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>conv (weight [4, 3, k, k], bias [4]) then batch norm over 4 channels: paths "0.*" and "1.*".</summary>
    private static Sequential Net(int seed, int kernel = 1, int bnChannels = 4) =>
        new(new Conv2d(3, 4, kernel, new Generator((ulong)seed)), new BatchNorm2d(bnChannels));

    private static float[] Values(Tensor t) => t.ToArray<float>();

    [Fact]
    public void WeightsBuffersOptimizerStateAndExtraTensorsSurviveARoundTrip()
    {
        using var scope = DisposeScope.Enter();
        var path = _folder.File("run.safetensors");
        using var saved = Net(1);
        Ops.CopyInto(Tensors.FromArray([0.5f, 1, 2, 3], 4), ((BatchNorm2d)saved.Layers[1]).RunningMean);
        using var savedGroup = new ParameterGroup("encoder", saved.NamedParameters());
        using var savedAdam = new Adam([savedGroup], new AdamOptions());
        // Each state tensor (first and second moment of each group) gets values of its own, so a swap would show.
        var states = savedAdam.State().ToList();
        for (int i = 0; i < states.Count; i++)
        {
            var state = states[i].State;
            Ops.CopyInto(Tensors.FromArray(Enumerable.Range(0, (int)state.Count).Select(j => (float)(i + 0.25 + j / 64.0)).ToArray(), state.Shape), state);
        }
        savedAdam.Steps = 7;
        var lambdas = Tensors.FromArray([1.0, 0.5], 2);
        Checkpoint.Save(path, saved, savedAdam, [("balancer.lambda", lambdas)], new Dictionary<string, string> { ["config"] = "ab12" });

        using var loaded = Net(2);
        using var loadedGroup = new ParameterGroup("encoder", loaded.NamedParameters());
        using var loadedAdam = new Adam([loadedGroup], new AdamOptions());
        var loadedLambdas = Tensors.Zeros(new Shape(2), DType.Float64);
        var result = Checkpoint.Load(path, loaded, loadedAdam, [("balancer.lambda", loadedLambdas)]);

        Assert.Equal(Values(savedGroup.Values), Values(loadedGroup.Values));
        Assert.Equal([0.5f, 1, 2, 3], Values(((BatchNorm2d)loaded.Layers[1]).RunningMean));
        Assert.Equal(states.Select(s => s.Name), loadedAdam.State().Select(s => s.Name));
        Assert.All(loadedAdam.State().Zip(states), pair => Assert.Equal(Values(pair.Second.State), Values(pair.First.State)));
        Assert.Equal(7, loadedAdam.Steps);
        Assert.Equal([1.0, 0.5], loadedLambdas.ToArray<double>());
        Assert.Equal("ab12", result.Metadata["config"]);
        Assert.Equal("7", result.Metadata[Checkpoint.OptimizerStepsKey]);
    }

    [Fact]
    public void TensorsAreStoredUnderTheirPyTorchPaths()
    {
        var path = _folder.File("weights.safetensors");
        using var net = Net(1);
        Checkpoint.Save(path, net);
        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(["0.bias", "0.weight", "1.bias", "1.running_mean", "1.running_var", "1.weight"],
            file.Entries.Select(e => e.Name).Order(StringComparer.Ordinal));
    }

    [Fact]
    public void AShapeMismatchIsRefusedNamingTheTensorAndBothShapes()
    {
        var path = _folder.File("weights.safetensors");
        using var saved = Net(1, kernel: 3);
        Checkpoint.Save(path, saved);
        using var model = Net(2, kernel: 1);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, model));
        Assert.Equal($"checkpoint {path}: tensor '0.weight' has shape [4, 3, 3, 3], the model expects [4, 3, 1, 1]", e.Message);
    }

    [Fact]
    public void AFailedLoadLeavesEveryTensorOfTheModelAsItWas()
    {
        var path = _folder.File("weights.safetensors");
        using var saved = Net(1, bnChannels: 4);
        Checkpoint.Save(path, saved);
        // Batch norm over 5 channels: the conv tensors would fit, the batch-norm ones do not.
        using var model = Net(2, bnChannels: 5);
        var before = Values(((Conv2d)model.Layers[0]).Weight.Value);
        Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, model));
        Assert.Equal(before, Values(((Conv2d)model.Layers[0]).Weight.Value));
    }

    [Fact]
    public void AStrictLoadRefusesMissingAndUnexpectedTensorsNamingThem()
    {
        var path = _folder.File("weights.safetensors");
        using var scope = DisposeScope.Enter();
        SafeTensors.Write(path, [("0.weight", Tensors.Zeros(new Shape(4, 3, 1, 1))), ("head.weight", Tensors.Zeros(new Shape(2)))]);
        using var model = new Sequential(new Conv2d(3, 4, 1, new Generator(1)));
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, model));
        Assert.Equal($"checkpoint {path}: tensors do not match the model: missing '0.bias'; unexpected 'head.weight'", e.Message);
    }

    [Fact]
    public void ALenientLoadCopiesWhatMatchesAndReportsTheRest()
    {
        var path = _folder.File("weights.safetensors");
        using var scope = DisposeScope.Enter();
        SafeTensors.Write(path, [("0.weight", Tensors.Full(new Shape(4, 3, 1, 1), 0.75)), ("head.weight", Tensors.Zeros(new Shape(2)))]);
        using var model = new Sequential(new Conv2d(3, 4, 1, new Generator(1)));
        var result = Checkpoint.Load(path, model, strict: false);
        Assert.Equal(["0.bias"], result.Missing);
        Assert.Equal(["head.weight"], result.Unexpected);
        Assert.All(Values(((Conv2d)model.Layers[0]).Weight.Value), v => Assert.Equal(0.75f, v));
    }

    [Fact]
    public void PyTorchBatchNormCountersAreSkippedWhenTheModelHasNone()
    {
        // What torch.nn.BatchNorm2d(2).state_dict() holds: weight, bias, running stats and an I64 counter.
        var path = _folder.File("torch.safetensors");
        File.WriteAllBytes(path, RawSafeTensors.Of(
            ("weight", "F32", [2], RawSafeTensors.Floats(1, 2)),
            ("bias", "F32", [2], RawSafeTensors.Floats(3, 4)),
            ("running_mean", "F32", [2], RawSafeTensors.Floats(5, 6)),
            ("running_var", "F32", [2], RawSafeTensors.Floats(7, 8)),
            ("num_batches_tracked", "I64", [], RawSafeTensors.Int64s(120))));
        using var bn = new BatchNorm2d(2);
        var result = Checkpoint.Load(path, bn);
        Assert.Empty(result.Unexpected);
        Assert.Equal([1f, 2], Values(bn.Weight.Value));
        Assert.Equal([7f, 8], Values(bn.RunningVar));
    }

    [Fact]
    public void Float64WeightsLoadIntoAFloat32Model()
    {
        var path = _folder.File("weights.safetensors");
        using var scope = DisposeScope.Enter();
        SafeTensors.Write(path, [("weight", Tensors.FromArray([0.5, 0.25], 2)), ("bias", Tensors.Zeros(new Shape(2), DType.Float64)),
            ("running_mean", Tensors.Zeros(new Shape(2), DType.Float64)), ("running_var", Tensors.Ones(new Shape(2), DType.Float64))]);
        using var bn = new BatchNorm2d(2);
        Checkpoint.Load(path, bn);
        Assert.Equal([0.5f, 0.25f], Values(bn.Weight.Value));
    }

    [Fact]
    public void RestoringAnOptimizerNeedsItsStepCount()
    {
        var path = _folder.File("weights.safetensors");
        using var net = Net(1);
        using var group = new ParameterGroup("encoder", net.NamedParameters());
        using var sgd = new Sgd([group], new SgdOptions(0.1));
        Checkpoint.Save(path, net);
        var e = Assert.Throws<CheckpointException>(() => Checkpoint.Load(path, net, sgd));
        Assert.Equal($"checkpoint {path}: metadata has no 'optimizer.steps', so the optimizer cannot resume where it stopped", e.Message);
    }
}
