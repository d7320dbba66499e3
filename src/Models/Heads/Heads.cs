namespace NativeMtl.Models;

/// <summary>Head settings from a config. An architecture fills in the channels for each task.</summary>
public sealed record HeadOptions
{
    public int InChannels { get; init; }

    public int OutChannels { get; init; }

    /// <summary>Width inside the head: the conv head's hidden layer (default: its input channels) or the
    /// ASPP head's branches (default 256).</summary>
    public int? HiddenChannels { get; init; }

    /// <summary>Dilations of the ASPP head's three 3×3 branches (DeepLab-v3 at output stride 8).</summary>
    public IReadOnlyList<int> AtrousRates { get; init; } = [12, 24, 36];

    /// <summary>Dropout after the ASPP projection, as in torchvision.</summary>
    public double Dropout { get; init; } = 0.5;

    internal void Check(string head)
    {
        if (InChannels < 1 || OutChannels < 1 || HiddenChannels < 1)
            throw new ArgumentException($"{head} head: channels in {InChannels}, hidden {HiddenChannels}, out {OutChannels} must be positive");
    }
}

public delegate Layer HeadFactory(HeadOptions options, BuildContext context);

/// <summary>Heads by config name: "aspp" (<see cref="DeepLabHead"/>) and "conv" (<see cref="ConvHead"/>).</summary>
public static class HeadRegistry
{
    private static readonly Registry<HeadFactory> Registry = Builtins();

    private static Registry<HeadFactory> Builtins()
    {
        var registry = new Registry<HeadFactory>("head");
        registry.Register("aspp", (o, c) => new DeepLabHead(o, c));
        registry.Register("conv", (o, c) => new ConvHead(o, c));
        return registry;
    }

    public static Layer Create(string name, HeadOptions options, BuildContext context) => Registry.Get(name)(options, context);

    public static void Register(string name, HeadFactory factory) => Registry.Register(name, factory);

    public static IReadOnlyList<string> Names => Registry.Names;
}

/// <summary>A light head: 3×3 conv + BN + ReLU, then a 1×1 conv to the outputs (children "0" … "3").</summary>
public sealed class ConvHead(HeadOptions options, BuildContext context) : Sequential(Build(options, context))
{
    private static Layer[] Build(HeadOptions options, BuildContext context)
    {
        options.Check("conv");
        int hidden = options.HiddenChannels ?? options.InChannels;
        return
        [
            context.Conv(options.InChannels, hidden, 3, padding: 1),
            context.BatchNorm(hidden),
            new ReLU(),
            context.Conv(hidden, options.OutChannels, 1, bias: true),
        ];
    }
}
