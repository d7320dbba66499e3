namespace NativeMtl.Models;

/// <summary>An adaptor's convolution: 1×1 (the paper's basic structure), 3×3 (its better variant, Table 2), or a
/// deformable 3×3 (one of its search space's operations).</summary>
public enum AdaptorKind
{
    Conv1x1,
    Conv3x3,
    Deformable3x3,
}

/// <summary>Where an auxiliary module reads the encoder: after every block of the tapped stages (every residual block,
/// seed 001 §4.1), or after each tapped stage only.</summary>
public enum TapKind
{
    Blocks,
    Stages,
}

/// <summary>How adapted taps combine: channel concatenation or per-pixel sum.</summary>
public enum AggregatorKind
{
    Concat,
    Sum,
}

/// <summary>Auxiliary-module settings from a config (seed 001).</summary>
public sealed record AuxiliaryOptions
{
    /// <summary>Encoder stages to tap (0 = the first); null taps all of them.</summary>
    public IReadOnlyList<int>? Stages { get; init; }

    /// <summary>Every block of those stages (the default), or their outputs only.</summary>
    public TapKind Taps { get; init; } = TapKind.Blocks;

    public AdaptorKind Adaptor { get; init; } = AdaptorKind.Conv1x1;

    public AggregatorKind Aggregator { get; init; } = AggregatorKind.Concat;

    /// <summary>Output channels of each adaptor, and the width of the auxiliary head.</summary>
    public int Channels { get; init; } = 64;

    /// <summary>Tasks that get an auxiliary module; null for every task.</summary>
    public IReadOnlyList<string>? Tasks { get; init; }
}

/// <summary>
/// The auxiliary modules of a hard-sharing model (seed 001), one per task, named by task under the model's
/// "auxiliary" member. They read the encoder's stages and feed nothing back into the model, so the model's
/// predictions are the same with or without them.
/// </summary>
public sealed class AuxiliaryModules : Module
{
    private readonly List<(string Task, AuxiliaryModule Module)> _modules = [];

    public AuxiliaryModules(AuxiliaryOptions options, IReadOnlyList<TaskSpec> tasks, Encoder encoder, BuildContext context)
    {
        var names = options.Tasks ?? tasks.Select(t => t.Name).ToList();
        if (names.Count == 0) throw new ArgumentException("auxiliary modules: the task list is empty");
        foreach (var name in names.Distinct())
        {
            var task = tasks.FirstOrDefault(t => t.Name == name)
                ?? throw new ArgumentException($"auxiliary modules: unknown task '{name}' (tasks: {string.Join(", ", tasks.Select(t => t.Name))})");
            _modules.Add((name, AddModule(name, new AuxiliaryModule(task, options, encoder, context))));
        }
    }

    public IReadOnlyList<(string Task, AuxiliaryModule Module)> Modules => _modules;

    /// <summary>Each module's raw prediction at the encoder features' size, for the modules of <paramref name="tasks"/>
    /// (all when null).</summary>
    public IReadOnlyDictionary<string, Tensor> Forward(EncoderOutput encoded, IReadOnlySet<string>? tasks = null) =>
        _modules.Where(m => tasks?.Contains(m.Task) ?? true).ToDictionary(m => m.Task, m => m.Module.Forward(encoded));
}

/// <summary>
/// One auxiliary module: an adaptor (conv + BN + ReLU) on each tap (every block of the tapped stages, or each
/// tapped stage's output), each adapted map resized bilinearly to the size of the encoder's features (where the task
/// heads work, so the auxiliary head sees the same resolution whichever stages are tapped), aggregated by
/// concatenation or sum, then a <see cref="ConvHead"/> to the task's channels. Members "adaptors" and "head".
/// </summary>
public sealed class AuxiliaryModule : Module
{
    private readonly ModuleList<Sequential> _adaptors;
    private readonly ConvHead _head;
    private readonly (int Stage, int Block)[] _taps;
    private readonly AggregatorKind _aggregator;

    public AuxiliaryModule(TaskSpec task, AuxiliaryOptions options, Encoder encoder, BuildContext context)
    {
        var stages = (options.Stages ?? Enumerable.Range(0, encoder.StageCount).ToList()).ToArray();
        if (stages.Length == 0) throw new ArgumentException($"auxiliary module '{task.Name}': no stages to tap");
        foreach (var s in stages)
            if (s < 0 || s >= encoder.StageCount)
                throw new ArgumentException($"auxiliary module '{task.Name}': stage {s} does not exist ({encoder.Name} has stages 0 to {encoder.StageCount - 1})");
        if (stages.Distinct().Count() != stages.Length)
            throw new ArgumentException($"auxiliary module '{task.Name}': stages [{string.Join(", ", stages)}] repeat");
        if (options.Channels < 1) throw new ArgumentException($"auxiliary module '{task.Name}': {options.Channels} adaptor channels");
        _aggregator = options.Aggregator;
        // A block's output has its stage's channels; a stage without blocks is tapped at its output.
        _taps = stages.SelectMany(s => options.Taps == TapKind.Blocks && encoder.BlockCount(s) > 1
            ? Enumerable.Range(0, encoder.BlockCount(s)).Select(b => (s, b))
            : [(s, Math.Max(encoder.BlockCount(s), 1) - 1)]).ToArray();

        int kernel = options.Adaptor == AdaptorKind.Conv1x1 ? 1 : 3, width = options.Channels;
        _adaptors = AddModule("adaptors", new ModuleList<Sequential>(_taps.Select(t => new Sequential(
            options.Adaptor == AdaptorKind.Deformable3x3
                ? new DeformableConv2d(encoder.StageChannels[t.Stage], width, 3, context.Generator, padding: 1, bias: false, dtype: context.DType, device: context.Device)
                : context.Conv(encoder.StageChannels[t.Stage], width, kernel, padding: kernel / 2),
            context.BatchNorm(width),
            new ReLU()))));
        int aggregated = _aggregator == AggregatorKind.Concat ? width * _taps.Length : width;
        _head = AddModule("head", new ConvHead(new HeadOptions { InChannels = aggregated, HiddenChannels = width, OutChannels = task.Channels }, context));
    }

    /// <summary>The taps as (stage, block within it), in the order of the adaptors.</summary>
    public IReadOnlyList<(int Stage, int Block)> Taps => _taps;

    public Tensor Forward(EncoderOutput encoded) => DisposeScope.Run(() =>
    {
        int height = encoded.Features.Shape[2], width = encoded.Features.Shape[3];
        var adapted = _taps.Select((t, i) =>
        {
            var a = _adaptors[i].Forward(encoded.Blocks[t.Stage][t.Block]);
            return a.Shape[2] == height && a.Shape[3] == width ? a : F.UpsampleBilinear2d(a, height, width);
        }).ToArray();
        var aggregated = _aggregator == AggregatorKind.Concat ? F.Concat(1, adapted) : adapted.Aggregate(F.Add);
        return _head.Forward(aggregated);
    });
}
