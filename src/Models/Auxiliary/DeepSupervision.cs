namespace NativeMtl.Models;

/// <summary>Deep-supervision settings from a config (seed 001 §4.2's "Deep supervision" strategy).</summary>
public sealed record DeepSupervisionOptions
{
    /// <summary>The paper's scale of the added losses.</summary>
    public const double DefaultWeight = 0.1;

    /// <summary>Tasks whose loss supervises every encoder stage; null for every task.</summary>
    public IReadOnlyList<string>? Tasks { get; init; }

    /// <summary>The weight of each stage's loss in the total.</summary>
    public double Weight { get; init; } = DefaultWeight;
}

/// <summary>
/// Deep supervision (seed 001 §4.2: "additional losses at the end of each downsampling layer, … sum them all with scale
/// of 0.1"): for each chosen task, a 1×1 convolution (with bias) from every encoder stage's output to the task's
/// channels. A linear read-out, as in deeply-supervised nets, so that the added loss shapes the stage's features
/// themselves rather than training a head of its own (seed 001's auxiliary modules, with their adaptors and
/// <see cref="ConvHead"/>, are the strategy it is compared with), and cheap on the early, large stages. Members
/// "&lt;task&gt;.&lt;stage&gt;" under the model's "deep_supervision" member. The heads feed nothing back into the
/// model, so its predictions are the same with or without them; the model runs them in training only, resizes their
/// outputs to the input like its own predictions, and each loss is the task's own, times <see cref="Weight"/>.
/// </summary>
public sealed class DeepSupervisionHeads : Module
{
    private readonly List<(string Task, ModuleList<Conv2d> Heads)> _heads = [];

    public DeepSupervisionHeads(DeepSupervisionOptions options, IReadOnlyList<TaskSpec> tasks, Encoder encoder, BuildContext context)
    {
        if (!double.IsFinite(options.Weight) || options.Weight <= 0)
            throw new ArgumentException($"deep supervision: weight {options.Weight} must be a positive number");
        var names = options.Tasks ?? tasks.Select(t => t.Name).ToList();
        if (names.Count == 0) throw new ArgumentException("deep supervision: the task list is empty");
        foreach (var name in names.Distinct())
        {
            var task = tasks.FirstOrDefault(t => t.Name == name)
                ?? throw new ArgumentException($"deep supervision: unknown task '{name}' (tasks: {string.Join(", ", tasks.Select(t => t.Name))})");
            _heads.Add((name, AddModule(name, new ModuleList<Conv2d>(
                encoder.StageChannels.Select(channels => context.Conv(channels, task.Channels, 1, bias: true))))));
        }
        Weight = options.Weight;
    }

    /// <summary>The weight of each stage's loss in the total.</summary>
    public double Weight { get; }

    /// <summary>The supervised tasks, in the order of the options.</summary>
    public IEnumerable<string> Tasks => _heads.Select(h => h.Task);

    /// <summary>A task's head on stage <paramref name="stage"/>.</summary>
    public Conv2d Head(string task, int stage) => _heads.Single(h => h.Task == task).Heads[stage];

    /// <summary>The loss key (and parameter path) of a task's head on a stage: "deep_supervision.&lt;task&gt;.&lt;stage&gt;".</summary>
    public static string Key(string task, int stage) => $"{MtlModel.DeepSupervisionPrefix}{task}.{stage}";

    /// <summary>Every head's raw prediction at its stage's size, for the tasks of <paramref name="tasks"/> (all when
    /// null), task by task and stage by stage.</summary>
    public IEnumerable<(string Task, int Stage, Tensor Raw)> Forward(EncoderOutput encoded, IReadOnlySet<string>? tasks = null) =>
        _heads.Where(h => tasks?.Contains(h.Task) ?? true)
            .SelectMany(h => encoded.Stages.Select((stage, s) => (h.Task, s, h.Heads[s].Forward(stage))))
            .ToList();
}
