namespace NativeMtl.Models;

/// <summary>
/// A multi-task network: an input [N, C, H, W] in, one prediction per task at H × W out, together with the
/// shared feature z (see <see cref="MtlOutput"/>). Its parameters fall into flat groups (see
/// <see cref="ParameterGroups"/>); auxiliary modules live under <see cref="AuxiliaryPrefix"/> and deep-supervision
/// heads under <see cref="DeepSupervisionPrefix"/>: both run in training only and are left out of
/// <see cref="ExportedStateDict"/>.
/// </summary>
public abstract class MtlModel : Module
{
    public const string AuxiliaryPrefix = "auxiliary.";

    public const string DeepSupervisionPrefix = "deep_supervision.";

    /// <summary>Whether a parameter's, buffer's or group's path is in a training-only member (auxiliary modules,
    /// deep-supervision heads): one that the exported weights leave out and that only auxiliary losses train.</summary>
    public static bool IsTrainingOnly(string path) =>
        path.StartsWith(AuxiliaryPrefix, StringComparison.Ordinal) || path.StartsWith(DeepSupervisionPrefix, StringComparison.Ordinal);

    private MtlParameterGroups? _groups;

    protected MtlModel(string name, ArchitectureOptions options)
    {
        Name = name;
        if (options.Tasks.Count == 0) throw new ArgumentException($"{name}: no tasks");
        foreach (var task in options.Tasks)
        {
            if (string.IsNullOrEmpty(task.Name) || task.Name.Contains('.') || task.Name.Any(char.IsWhiteSpace))
                throw new ArgumentException($"{name}: task name '{task.Name}' must be non-empty, without dots or spaces");
            if (task.Channels < 1) throw new ArgumentException($"{name}: task '{task.Name}' has {task.Channels} output channels");
        }
        var duplicate = options.Tasks.GroupBy(t => t.Name).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null) throw new ArgumentException($"{name}: task '{duplicate.Key}' is listed twice");
        Tasks = options.Tasks.ToArray();
        Context = new BuildContext(new Generator(options.Seed), options.DType, options.Device);
    }

    /// <summary>The registry name, used in messages.</summary>
    public string Name { get; }

    public IReadOnlyList<TaskSpec> Tasks { get; }

    /// <summary>The stream the initial values came from; dropout keeps drawing from it, so a checkpoint
    /// saves its offset.</summary>
    public Generator Generator => Context.Generator;

    public abstract int InChannels { get; }

    /// <summary>The weights of the last layer before z on the main path (GradNorm's W, "the last shared layer"): the
    /// encoder's last convolution, or each column's in a multi-column model.</summary>
    public abstract IReadOnlyList<Parameter> LastSharedLayer { get; }

    protected BuildContext Context { get; }

    /// <summary>The shared feature and the predictions of <paramref name="tasks"/> (all tasks when null): a caller that
    /// needs some tasks only spares the other heads. A model may still predict more than it was asked for. With
    /// <paramref name="deferHeads"/>, a model may leave each head to run when its prediction is first taken
    /// (<see cref="MtlOutput.Take"/>), so that one prediction lives at a time; the caller must take them before it
    /// changes the model's mode or the recording mode, since a head runs in the modes of that moment.</summary>
    public MtlOutput Forward(Tensor x, IReadOnlyCollection<string>? tasks = null, bool deferHeads = false)
    {
        if (x.Rank != 4 || x.Shape[1] != InChannels)
            throw new ShapeException(Name, $"input {x.Shape} must be [N, {InChannels}, H, W]");
        var unknown = tasks?.FirstOrDefault(t => Tasks.All(s => s.Name != t));
        if (unknown is not null) throw new ArgumentException($"{Name}: no task '{unknown}' (has {string.Join(", ", Tasks.Select(t => t.Name))})");
        // The arenas take the parameters' places when first built; a graph recorded before that would hold the
        // old tensors, so they are built before the first forward pass.
        _ = ParameterGroups;
        var output = ForwardCore(x, tasks?.ToHashSet() ?? Tasks.Select(t => t.Name).ToHashSet());
        if (!deferHeads) _ = output.Predictions;
        return output;
    }

    /// <summary>The forward pass; a model may give the predictions as functions that run their heads when wanted.</summary>
    protected abstract MtlOutput ForwardCore(Tensor x, IReadOnlySet<string> tasks);

    /// <summary>
    /// The parameters in flat arenas, created on first use (parameter values move into them then):
    /// "encoder" holds everything before z, "heads.&lt;task&gt;" (or "decoder" when all tasks share one)
    /// everything after it, "auxiliary.&lt;task&gt;" each auxiliary module, "deep_supervision.&lt;task&gt;" each task's
    /// deep-supervision heads. Every parameter is in exactly one group.
    /// </summary>
    public MtlParameterGroups ParameterGroups => _groups ??= BuildGroups();

    /// <summary>Each group's name and the path prefixes of its parameters, encoder first.</summary>
    protected abstract IEnumerable<(string Group, string[] Prefixes)> GroupLayout();

    /// <summary>Parameters and buffers to save for inference or for PyTorch, in state_dict order: everything
    /// except the training-only members (auxiliary modules, deep-supervision heads).</summary>
    public IEnumerable<(string Path, Tensor Tensor)> ExportedStateDict() => StateDict().Where(e => !IsTrainingOnly(e.Path));

    /// <summary>A head's raw output at the input's size: bilinear resize (align_corners = false), and unit
    /// length over the channels for normals (torch.nn.functional.normalize's ε keeps a zero vector finite).
    /// Consumes <paramref name="raw"/>: its handle goes unless it is the prediction itself.</summary>
    protected static Tensor Finish(TaskSpec task, Tensor raw, int height, int width)
    {
        var prediction = DisposeScope.Run(() =>
        {
            var y = raw.Shape[2] == height && raw.Shape[3] == width ? raw : F.UpsampleBilinear2d(raw, height, width);
            return task.Kind == TaskKind.Normal ? F.Div(y, F.Clamp(F.Norm(y, [1], keepDims: true), min: 1e-12)) : y;
        });
        if (!ReferenceEquals(prediction, raw)) raw.Dispose();
        return prediction;
    }

    /// <summary>The training-only predictions of <paramref name="tasks"/> at the input's size in training, by loss key
    /// (see <see cref="MtlOutput.AuxiliaryOutputs"/>): each auxiliary module's under its task, weight 1, then each
    /// deep-supervision head's under <see cref="DeepSupervisionHeads.Key"/>, with the heads' weight. None in
    /// evaluation, where they do not run.</summary>
    protected IReadOnlyDictionary<string, AuxiliaryPrediction> AuxiliaryPredictions(AuxiliaryModules? auxiliary, DeepSupervisionHeads? deepSupervision,
        EncoderOutput encoded, int height, int width, IReadOnlySet<string> tasks)
    {
        var predictions = new Dictionary<string, AuxiliaryPrediction>();
        if (!Training) return predictions;
        TaskSpec Task(string name) => Tasks.Single(t => t.Name == name);
        if (auxiliary is not null)
            foreach (var (task, raw) in auxiliary.Forward(encoded, tasks))
                predictions[task] = new AuxiliaryPrediction(task, Finish(Task(task), raw, height, width));
        if (deepSupervision is not null)
            foreach (var (task, stage, raw) in deepSupervision.Forward(encoded, tasks))
                predictions[DeepSupervisionHeads.Key(task, stage)] = new AuxiliaryPrediction(task, Finish(Task(task), raw, height, width), deepSupervision.Weight);
        return predictions;
    }

    /// <summary>The training-only groups: one per auxiliary module, "auxiliary.&lt;task&gt;", then one per task with
    /// deep-supervision heads, "deep_supervision.&lt;task&gt;".</summary>
    protected static IEnumerable<(string Group, string[] Prefixes)> AuxiliaryLayout(AuxiliaryModules? auxiliary, DeepSupervisionHeads? deepSupervision) =>
        (auxiliary?.Modules.Select(m => m.Task) ?? []).Select(t => ($"{AuxiliaryPrefix}{t}", new[] { $"{AuxiliaryPrefix}{t}." }))
            .Concat((deepSupervision?.Tasks ?? []).Select(t => ($"{DeepSupervisionPrefix}{t}", new[] { $"{DeepSupervisionPrefix}{t}." })));

    private MtlParameterGroups BuildGroups()
    {
        var all = NamedParameters().ToList();
        var layout = GroupLayout().ToList();
        bool In(string path, string[] prefixes) => prefixes.Any(prefix => path.StartsWith(prefix, StringComparison.Ordinal));
        foreach (var (path, _) in all)
        {
            int count = layout.Count(g => In(path, g.Prefixes));
            if (count != 1) throw new InvalidOperationException($"{Name}: parameter {path} falls in {count} groups");
        }
        return new MtlParameterGroups(layout.Select(g => new ParameterGroup(g.Group, all.Where(p => In(p.Path, g.Prefixes)))).ToList());
    }

    public override void Dispose()
    {
        _groups?.Dispose();
        base.Dispose();
    }
}

/// <summary>A model's parameter groups by role: the shared trunk before z, what comes after z, and the
/// training-only members (auxiliary modules, deep-supervision heads).</summary>
public sealed class MtlParameterGroups : IDisposable
{
    internal MtlParameterGroups(IReadOnlyList<ParameterGroup> groups)
    {
        All = groups;
        Encoder = groups[0];
        Auxiliary = groups.Where(g => MtlModel.IsTrainingOnly(g.Name)).ToList();
        Heads = groups.Skip(1).Except(Auxiliary).ToList();
    }

    /// <summary>"encoder": every parameter before z, shared by the tasks.</summary>
    public ParameterGroup Encoder { get; }

    /// <summary>After z: "heads.&lt;task&gt;" per task, or one "decoder" shared by all.</summary>
    public IReadOnlyList<ParameterGroup> Heads { get; }

    /// <summary>The training-only groups, which only the auxiliary losses (<c>TaskLosses.AuxiliaryModuleLosses</c>)
    /// train: "auxiliary.&lt;task&gt;" per auxiliary module and "deep_supervision.&lt;task&gt;" per task with
    /// deep-supervision heads; empty without them.</summary>
    public IReadOnlyList<ParameterGroup> Auxiliary { get; }

    /// <summary>Every group: encoder, heads, auxiliary.</summary>
    public IReadOnlyList<ParameterGroup> All { get; }

    public ParameterGroup this[string name] => All.FirstOrDefault(g => g.Name == name)
        ?? throw new KeyNotFoundException($"parameter groups: no group '{name}' (has {string.Join(", ", All.Select(g => g.Name))})");

    public void Dispose()
    {
        foreach (var g in All) g.Dispose();
    }
}
