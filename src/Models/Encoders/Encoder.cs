namespace NativeMtl.Models;

/// <summary>What an encoder computes: its final features (the shared representation of a hard-sharing
/// model), the output of every stage and of every block within each stage (a residual block for ResNets; the whole
/// stage for an encoder without blocks), the taps that auxiliary modules read. The last stage is the features, and
/// each stage's last block its output.</summary>
public sealed record EncoderOutput(Tensor Features, IReadOnlyList<Tensor> Stages, IReadOnlyList<IReadOnlyList<Tensor>> Blocks);

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

    /// <summary>Blocks of a stage that can be run one at a time (and tapped); 1 where a stage is not made of blocks.</summary>
    public virtual int BlockCount(int stage) => 1;

    /// <summary>The stem, then every stage block by block, each block in a disposal scope of its own.</summary>
    public EncoderOutput Forward(Tensor x)
    {
        var h = Stem(x);
        var stages = new Tensor[StageCount];
        var blocks = new Tensor[StageCount][];
        for (int i = 0; i < stages.Length; i++)
        {
            int count = BlockCount(i);
            if (count == 0)
            {
                h = stages[i] = Stage(i, h);
                blocks[i] = [h];
                continue;
            }
            blocks[i] = new Tensor[count];
            for (int b = 0; b < count; b++)
            {
                var input = h;
                int block = b, stage = i;
                h = blocks[i][b] = count == 1 ? Stage(i, input) : DisposeScope.Run(() => BlockCore(stage, block, input));
            }
            stages[i] = h;
        }
        return new EncoderOutput(h, stages, blocks);
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

    /// <summary>Block <paramref name="block"/> of stage <paramref name="stage"/>, for encoders whose
    /// <see cref="BlockCount"/> is above 1.</summary>
    protected virtual Tensor BlockCore(int stage, int block, Tensor x) =>
        throw new NotSupportedException($"{Name} runs its stages whole");
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
