using NativeMtl.Models;

namespace NativeMtl.Tests.Models;

/// <summary>model.init_from: a module's tensors under a prefix start from a file's, by name and exact shape.</summary>
public sealed class InitialWeightsTests : IDisposable
{
    private readonly CheckpointFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>An "encoder" (conv, then batch norm) and a "head" (conv), as a model's parameter paths go.</summary>
    private static ModuleDict<Module> Net(int seed, int encoderChannels = 4)
    {
        var net = new ModuleDict<Module>();
        net.Add("encoder", new Sequential(new Conv2d(3, encoderChannels, 1, new Generator((ulong)seed)), new BatchNorm2d(encoderChannels)));
        net.Add("head", new Conv2d(encoderChannels, 2, 1, new Generator((ulong)seed + 100)));
        return net;
    }

    private static float[] Values(Module m, string path) => m.StateDict().Single(t => t.Path == path).Tensor.ToArray<float>();

    [Fact]
    public void TheTensorsUnderThePrefixComeFromTheFileAndTheRestKeepTheirInitialisation()
    {
        var path = _folder.File("trained.safetensors");
        using var trained = Net(seed: 1);
        Checkpoint.Save(path, trained);
        using var fresh = Net(seed: 2);
        var headBefore = Values(fresh, "head.weight");

        var result = InitialWeights.Load(new InitialWeightsSource(path, Prefix: "encoder."), fresh);

        Assert.Equal(Values(trained, "encoder.0.weight"), Values(fresh, "encoder.0.weight"));
        Assert.Equal(Values(trained, "encoder.1.running_var"), Values(fresh, "encoder.1.running_var"));
        Assert.Equal(headBefore, Values(fresh, "head.weight"));
        Assert.Equal(["encoder.0.weight", "encoder.0.bias", "encoder.1.weight", "encoder.1.bias", "encoder.1.running_mean", "encoder.1.running_var"], result.Loaded);
        Assert.Equal(12 + 4 + 4 * 4, result.LoadedValues);
        Assert.Empty(result.LeftAtInitialisation);
        Assert.Equal(["head.weight", "head.bias"], result.Unused);
    }

    [Fact]
    public void AFilePrefixMapsAnotherNamingOntoTheModules()
    {
        // A torchvision-style file holds the encoder's tensors without "encoder." and a classifier the model lacks.
        var path = _folder.File("backbone.safetensors");
        using var backbone = Net(seed: 3);
        NativeMtl.Models.SafeTensors.Write(path, backbone.StateDict().Where(t => t.Path.StartsWith("encoder.", StringComparison.Ordinal))
            .Select(t => (t.Path["encoder.".Length..], t.Tensor)).Append(("fc.weight", Tensors.Zeros(new Shape(10, 4)))));
        using var model = Net(seed: 4);
        var source = new InitialWeightsSource(path, Prefix: "encoder.", FilePrefix: "");
        var result = InitialWeights.Load(source, model);
        Assert.Equal(Values(backbone, "encoder.0.weight"), Values(model, "encoder.0.weight"));
        Assert.Equal(["fc.weight"], result.Unused);
        Assert.Equal("init_from " + path + ": loaded 6 tensors (32 values) under 'encoder.'; left at their initialisation: none; not used from the file: 1 (fc.weight)",
            result.Summary(source));
    }

    [Fact]
    public void ATensorOfAnotherShapeIsAnErrorNamingItAndNothingIsCopied()
    {
        var path = _folder.File("wider.safetensors");
        using var wider = Net(seed: 5, encoderChannels: 6);
        Checkpoint.Save(path, wider);
        using var model = Net(seed: 6);
        var before = Values(model, "encoder.0.weight");
        var e = Assert.Throws<CheckpointException>(() => InitialWeights.Load(new InitialWeightsSource(path, Prefix: "encoder."), model));
        Assert.Equal($"checkpoint {path}: tensor 'encoder.0.weight' has shape [6, 3, 1, 1], but 'encoder.0.weight' of the model is [4, 3, 1, 1] (init_from matches exact shapes only)", e.Message);
        Assert.Equal(before, Values(model, "encoder.0.weight"));
    }

    [Fact]
    public void TensorsUnderThePrefixTheFileLacksAreLeftAtTheirInitialisation()
    {
        var path = _folder.File("partial.safetensors");
        using var source = Net(seed: 7);
        NativeMtl.Models.SafeTensors.Write(path, source.StateDict().Where(t => t.Path.StartsWith("encoder.0.", StringComparison.Ordinal)));
        using var model = Net(seed: 8);
        var result = InitialWeights.Load(new InitialWeightsSource(path), model);
        Assert.Equal(["encoder.0.weight", "encoder.0.bias"], result.Loaded);
        Assert.Equal(["encoder.1.weight", "encoder.1.bias", "head.weight", "head.bias", "encoder.1.running_mean", "encoder.1.running_var"], result.LeftAtInitialisation);
    }
}
