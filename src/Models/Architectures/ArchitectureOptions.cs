namespace NativeMtl.Models;

/// <summary>A multi-task model's config: its tasks, which encoder and head to build by name and with what
/// options, the auxiliary modules and deep supervision if any, and the seed of its initial values.</summary>
public sealed record ArchitectureOptions
{
    public required IReadOnlyList<TaskSpec> Tasks { get; init; }

    public string Encoder { get; init; } = "resnet_small";

    public EncoderOptions EncoderOptions { get; init; } = new();

    public string Head { get; init; } = "conv";

    /// <summary>Shared by every head; the architecture sets input and output channels.</summary>
    public HeadOptions HeadOptions { get; init; } = new();

    /// <summary>Auxiliary modules (seed 001) on the shared encoder; null for none.</summary>
    public AuxiliaryOptions? Auxiliary { get; init; }

    /// <summary>Deep supervision (seed 001 §4.2): a 1×1 conv head per encoder stage for some tasks; null for none.</summary>
    public DeepSupervisionOptions? DeepSupervision { get; init; }

    /// <summary>cross_stitch: the initial weight a column gives itself; the rest is shared evenly among the others.</summary>
    public double CrossStitchSelfWeight { get; init; } = 0.9;

    public ulong Seed { get; init; }

    public DType DType { get; init; } = DType.Float32;

    public Device? Device { get; init; }
}

public delegate MtlModel ArchitectureFactory(ArchitectureOptions options);

/// <summary>Multi-task architectures by config name: "hps" (hard parameter sharing, one head per task; the
/// default), "full_sharing" (one decoder for all tasks) and "cross_stitch" (one column per task).</summary>
public static class ArchitectureRegistry
{
    private static readonly Registry<ArchitectureFactory> Registry = Builtins();

    private static Registry<ArchitectureFactory> Builtins()
    {
        var registry = new Registry<ArchitectureFactory>("architecture");
        registry.Register("hps", o => new HardSharingModel(o));
        registry.Register("full_sharing", o => new FullSharingModel(o));
        registry.Register("cross_stitch", o => new CrossStitchModel(o));
        return registry;
    }

    public static MtlModel Create(string name, ArchitectureOptions options) => Registry.Get(name)(options);

    public static void Register(string name, ArchitectureFactory factory) => Registry.Register(name, factory);

    public static IReadOnlyList<string> Names => Registry.Names;
}
