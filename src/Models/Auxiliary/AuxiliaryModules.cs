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

    /// <summary>Tasks that get an auxiliary module; null for every task (or, with <see cref="Cells"/>, its tasks).</summary>
    public IReadOnlyList<string>? Tasks { get; init; }

    /// <summary>Searched modules (seed 001 §3.3): each task's cells, in place of the adaptor on every tap and the
    /// aggregator; null for the basic modules.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<AuxiliaryCellSpec>>? Cells { get; init; }
}

/// <summary>
/// The auxiliary modules of a hard-sharing model (seed 001), one per task, named by task under the model's
/// "auxiliary" member. They read the encoder's taps and feed nothing back into the model, so the model's predictions
/// are the same with or without them. Basic modules adapt every tap; searched ones are cells
/// (<see cref="AuxiliaryCell"/>), which may read the cells of earlier tasks too, so the modules run together.
/// </summary>
public sealed class AuxiliaryModules : Module
{
    private readonly List<(string Task, AuxiliaryModule Module)> _modules = [];

    public AuxiliaryModules(AuxiliaryOptions options, IReadOnlyList<TaskSpec> tasks, Encoder encoder, BuildContext context)
    {
        if (options.Cells is { } given && options.Tasks is { } listed && !listed.Order().SequenceEqual(given.Keys.Order()))
            throw new ArgumentException($"auxiliary modules: tasks [{string.Join(", ", listed)}] are not the tasks of the cells [{string.Join(", ", given.Keys)}]");
        var names = options.Tasks ?? options.Cells?.Keys.ToList() ?? tasks.Select(t => t.Name).ToList();
        if (names.Count == 0) throw new ArgumentException("auxiliary modules: the task list is empty");
        foreach (var name in names)
            if (tasks.All(t => t.Name != name))
                throw new ArgumentException($"auxiliary modules: unknown task '{name}' (tasks: {string.Join(", ", tasks.Select(t => t.Name))})");
        if (options.Channels < 1) throw new ArgumentException($"auxiliary modules: {options.Channels} adaptor channels");
        Taps = TapsOf(options, encoder);
        // The model's task order is the order of the search's hierarchy (seed 001 Fig. 2d).
        var ordered = tasks.Where(t => names.Contains(t.Name)).ToList();
        if (options.Cells is { } cells)
        {
            var built = AuxiliaryCellGraph.Build(cells, ordered.Select(t => t.Name).ToList(), Taps.Select(t => encoder.StageChannels[t.Stage]).ToList(), options.Channels, context);
            foreach (var task in ordered)
                _modules.Add((task.Name, AddModule(task.Name, new AuxiliaryModule(task, Taps, built[task.Name], options.Channels, context))));
        }
        else
        {
            foreach (var task in ordered)
                _modules.Add((task.Name, AddModule(task.Name, new AuxiliaryModule(task, options, Taps, encoder, context))));
        }
    }

    public IReadOnlyList<(string Task, AuxiliaryModule Module)> Modules => _modules;

    /// <summary>The taps every module reads, as (stage, block within it): <c>loc</c>'s first nodes.</summary>
    public IReadOnlyList<(int Stage, int Block)> Taps { get; }

    /// <summary>Each module's raw prediction at the encoder features' size, for the modules of <paramref name="tasks"/>
    /// (all when null). A searched module's cells run once each, whichever modules read them.</summary>
    public IReadOnlyDictionary<string, Tensor> Forward(EncoderOutput encoded, IReadOnlySet<string>? tasks = null)
    {
        var wanted = _modules.Where(m => tasks?.Contains(m.Task) ?? true).ToList();
        using var scope = DisposeScope.Enter();
        var nodes = new AuxiliaryCellGraph.Nodes(scope, encoded, Taps, cell => _modules.Single(m => m.Task == cell.Task).Module.Cells[cell.Cell]);
        return wanted.ToDictionary(m => m.Task, m => m.Module.Forward(nodes).MoveToOuterScope());
    }

    /// <summary>The taps of modules with these options on this encoder: every block of the tapped stages, or each
    /// tapped stage's output; a stage without blocks is tapped at its output.</summary>
    public static (int Stage, int Block)[] TapsOf(AuxiliaryOptions options, Encoder encoder)
    {
        var stages = (options.Stages ?? Enumerable.Range(0, encoder.StageCount).ToList()).ToArray();
        if (stages.Length == 0) throw new ArgumentException("auxiliary modules: no stages to tap");
        foreach (var s in stages)
            if (s < 0 || s >= encoder.StageCount)
                throw new ArgumentException($"auxiliary modules: stage {s} does not exist ({encoder.Name} has stages 0 to {encoder.StageCount - 1})");
        if (stages.Distinct().Count() != stages.Length)
            throw new ArgumentException($"auxiliary modules: stages [{string.Join(", ", stages)}] repeat");
        return stages.SelectMany(s => options.Taps == TapKind.Blocks && encoder.BlockCount(s) > 1
            ? Enumerable.Range(0, encoder.BlockCount(s)).Select(b => (s, b))
            : [(s, Math.Max(encoder.BlockCount(s), 1) - 1)]).ToArray();
    }
}

/// <summary>
/// One auxiliary module. Basic (seed 001 §3.2): an adaptor (conv + BN + ReLU) on each tap, each adapted map resized
/// bilinearly to the size of the encoder's features (where the task heads work, so the auxiliary head sees the same
/// resolution whichever stages are tapped), aggregated by concatenation or sum; members "adaptors" and "head".
/// Searched (§3.3): its cells, and the concatenation of those no later cell of this task reads (the last one at
/// least); members "cells" and "head". Either way a <see cref="ConvHead"/> to the task's channels follows.
/// </summary>
public sealed class AuxiliaryModule : Module
{
    private readonly ModuleList<Layer>? _adaptors;
    private readonly ModuleList<AuxiliaryCell>? _cells;
    private readonly int[] _outputs = [];
    private readonly ConvHead _head;
    private readonly string _task;
    private readonly AggregatorKind _aggregator;

    /// <summary>A basic module: an adaptor on every tap.</summary>
    public AuxiliaryModule(TaskSpec task, AuxiliaryOptions options, IReadOnlyList<(int Stage, int Block)> taps, Encoder encoder, BuildContext context)
    {
        _task = task.Name;
        Taps = taps;
        _aggregator = options.Aggregator;
        int width = options.Channels;
        // Two of the basic adaptors are operations of the search space; the 3×3 convolution is the paper's variant.
        Layer Adaptor(int channels) => options.Adaptor switch
        {
            AdaptorKind.Conv1x1 => AdaptorOps.Create(AdaptorOp.Conv1x1, channels, width, context),
            AdaptorKind.Deformable3x3 => AdaptorOps.Create(AdaptorOp.Deformable3x3, channels, width, context),
            _ => AdaptorOps.Normalised([context.Conv(channels, width, 3, padding: 1)], width, context),
        };
        _adaptors = AddModule("adaptors", new ModuleList<Layer>(taps.Select(t => Adaptor(encoder.StageChannels[t.Stage]))));
        int aggregated = _aggregator == AggregatorKind.Concat ? width * taps.Count : width;
        _head = AddModule("head", new ConvHead(new HeadOptions { InChannels = aggregated, HiddenChannels = width, OutChannels = task.Channels }, context));
    }

    /// <summary>A searched module of cells already built (in the search's order, since they read each other).</summary>
    internal AuxiliaryModule(TaskSpec task, IReadOnlyList<(int Stage, int Block)> taps, IReadOnlyList<AuxiliaryCell> cells, int width, BuildContext context)
    {
        _task = task.Name;
        Taps = taps;
        _cells = AddModule("cells", new ModuleList<AuxiliaryCell>(cells));
        var read = cells.SelectMany(c => new[] { c.Spec.First, c.Spec.Second }).OfType<CellOutputInput>().Where(i => i.Task == task.Name).Select(i => i.Cell).ToHashSet();
        _outputs = Enumerable.Range(0, cells.Count).Where(p => !read.Contains(p)).ToArray();
        _head = AddModule("head", new ConvHead(new HeadOptions { InChannels = _outputs.Sum(p => cells[p].OutChannels), HiddenChannels = width, OutChannels = task.Channels }, context));
    }

    /// <summary>The taps as (stage, block within it), in the order of the adaptors.</summary>
    public IReadOnlyList<(int Stage, int Block)> Taps { get; }

    /// <summary>A searched module's cells; empty for a basic one.</summary>
    public IReadOnlyList<AuxiliaryCell> Cells => (IReadOnlyList<AuxiliaryCell>?)_cells ?? [];

    /// <summary>The cells whose outputs the head reads, concatenated; empty for a basic module.</summary>
    public IReadOnlyList<int> OutputCells => _outputs;

    internal Tensor Forward(AuxiliaryCellGraph.Nodes nodes) => DisposeScope.Run(() =>
    {
        var inputs = _cells is null
            ? _adaptors!.Select((adaptor, i) => nodes.Resized(adaptor.Forward(nodes.Tap(i)))).ToArray()
            : _outputs.Select(p => nodes.Cell(new CellOutputInput(_task, p))).ToArray();
        var aggregated = inputs.Length == 1 ? inputs[0] : _cells is null && _aggregator == AggregatorKind.Sum ? inputs.Aggregate(F.Add) : F.Concat(1, inputs);
        return _head.Forward(aggregated);
    });
}
