namespace NativeMtl.Models;

/// <summary>What an encoder computes: its final features (the shared representation of a hard-sharing
/// model) and the output of every stage, the taps that auxiliary modules read. The last stage is the features.</summary>
public sealed record EncoderOutput(Tensor Features, IReadOnlyList<Tensor> Stages);

/// <summary>
/// A backbone made of a stem and a list of stages. Stages run one at a time as well as all at once, so a
/// multi-column model can mix its columns between stages.
/// </summary>
public abstract class Encoder : Module
{
    protected Encoder(string name) => Name = name;

    /// <summary>The registry name, used in messages.</summary>
    public string Name { get; }

    public abstract int InChannels { get; }

    /// <summary>Channels of each stage's output.</summary>
    public abstract IReadOnlyList<int> StageChannels { get; }

    /// <summary>Input size over output size after each stage.</summary>
    public abstract IReadOnlyList<int> StageStrides { get; }

    /// <summary>The convolution whose output the encoder's features come from on their main path (GradNorm's "last
    /// shared layer"): not a shortcut, not whatever parameter happens to be registered last.</summary>
    public abstract Conv2d LastLayer { get; }

    public int StageCount => StageChannels.Count;

    public int OutChannels => StageChannels[^1];

    public int OutputStride => StageStrides[^1];

    public EncoderOutput Forward(Tensor x)
    {
        var h = Stem(x);
        var stages = new Tensor[StageCount];
        for (int i = 0; i < stages.Length; i++) h = stages[i] = Stage(i, h);
        return new EncoderOutput(h, stages);
    }

    /// <summary>The layers before the first stage, on an input [N, InChannels, H, W]. Stem and stages each run in a
    /// disposal scope of their own, so only their outputs and what backward reads outlive them.</summary>
    public Tensor Stem(Tensor x)
    {
        if (x.Rank != 4 || x.Shape[1] != InChannels)
            throw new ShapeException(Name, $"input {x.Shape} must be [N, {InChannels}, H, W]");
        return DisposeScope.Run(() => StemCore(x));
    }

    public Tensor Stage(int index, Tensor x)
    {
        if (index < 0 || index >= StageCount)
            throw new ArgumentOutOfRangeException(nameof(index), $"{Name}: stage {index} does not exist (it has {StageCount})");
        return DisposeScope.Run(() => StageCore(index, x));
    }

    protected abstract Tensor StemCore(Tensor x);

    protected abstract Tensor StageCore(int index, Tensor x);
}

/// <summary>Encoder settings from a config. Widths and blocks apply to encoders whose shape is not fixed.</summary>
public sealed record EncoderOptions
{
    public int InChannels { get; init; } = 3;

    /// <summary>Input size over feature size; stages past it trade their stride for dilation (DeepLab's rule).</summary>
    public int OutputStride { get; init; } = 8;

    /// <summary>Channels of each stage (a Bottleneck's planes, before its expansion); null for the encoder's own.</summary>
    public IReadOnlyList<int>? Widths { get; init; }

    /// <summary>Residual blocks in each stage; null for the encoder's own.</summary>
    public IReadOnlyList<int>? Blocks { get; init; }
}

public delegate Encoder EncoderFactory(EncoderOptions options, BuildContext context);

/// <summary>Encoders by config name: "resnet_small" (CPU runs) and "resnet50" (torchvision's dilated ResNet-50).</summary>
public static class EncoderRegistry
{
    private static readonly Registry<EncoderFactory> Registry = Builtins();

    private static Registry<EncoderFactory> Builtins()
    {
        var registry = new Registry<EncoderFactory>("encoder");
        registry.Register("resnet_small", ResNet.Small);
        registry.Register("resnet50", ResNet.ResNet50);
        return registry;
    }

    public static Encoder Create(string name, EncoderOptions options, BuildContext context) => Registry.Get(name)(options, context);

    public static void Register(string name, EncoderFactory factory) => Registry.Register(name, factory);

    public static IReadOnlyList<string> Names => Registry.Names;
}
