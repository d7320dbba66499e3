namespace NativeMtl.Models;

/// <summary>What a task's prediction is, which decides how the architecture finishes it.</summary>
public enum TaskKind
{
    /// <summary>Per-pixel class logits (semantic segmentation).</summary>
    Segmentation,

    /// <summary>Per-pixel real values (depth, Δdepth, curvature, reconstruction, object coordinates).</summary>
    Regression,

    /// <summary>Per-pixel directions, scaled to unit length over the channels (surface normals).</summary>
    Normal,
}

/// <summary>A task a model predicts: its name (a key of the predictions and of parameter paths), its
/// output channels and its kind.</summary>
public sealed record TaskSpec(string Name, int Channels, TaskKind Kind)
{
    public static TaskSpec Segmentation(int classes, string name = "seg") => new(name, classes, TaskKind.Segmentation);

    public static TaskSpec Depth(string name = "depth") => new(name, 1, TaskKind.Regression);

    public static TaskSpec Normal(string name = "normal") => new(name, 3, TaskKind.Normal);

    /// <summary>The two principal curvatures.</summary>
    public static TaskSpec Curvature(string name = "curvature") => new(name, 2, TaskKind.Regression);

    /// <summary>Dense object coordinates: each pixel's surface point in its object's frame, three channels.</summary>
    public static TaskSpec ObjectCoordinates(string name = "coordinates") => new(name, 3, TaskKind.Regression);
}

/// <summary>
/// A multi-task forward pass. <see cref="SharedFeature"/> is z, the representation every task head reads:
/// predictions depend on the trunk only through it, so a multi-task step can take each task's gradient at z
/// and send one combined gradient back through the trunk. Auxiliary predictions (training only: auxiliary modules,
/// deep-supervision heads) read the encoder's stages instead, so their losses reach the encoder without passing through
/// z. All predictions have the input's height and width.
/// <para>A model asked to defer its heads (<see cref="MtlModel.Forward"/>) leaves each to run when its prediction is
/// first wanted: <see cref="Take"/> runs one head and hands its prediction over, so a caller that makes each loss in
/// turn holds one prediction at a time; <see cref="Predictions"/> runs every head left.</para>
/// </summary>
public sealed class MtlOutput
{
    private readonly Dictionary<string, Func<Tensor>> _pending;
    private readonly Dictionary<string, Tensor> _made;

    /// <summary>Predictions made already.</summary>
    public MtlOutput(Tensor sharedFeature, IReadOnlyDictionary<string, Tensor> predictions, IReadOnlyDictionary<string, AuxiliaryPrediction>? auxiliary = null)
        : this(sharedFeature, new Dictionary<string, Func<Tensor>>(), auxiliary) =>
        _made = new Dictionary<string, Tensor>(predictions);

    /// <summary>Predictions made when first wanted, each by its function (which runs once).</summary>
    public MtlOutput(Tensor sharedFeature, IReadOnlyDictionary<string, Func<Tensor>> predictions, IReadOnlyDictionary<string, AuxiliaryPrediction>? auxiliary = null)
    {
        SharedFeature = sharedFeature;
        _pending = new Dictionary<string, Func<Tensor>>(predictions);
        _made = [];
        AuxiliaryOutputs = auxiliary ?? new Dictionary<string, AuxiliaryPrediction>();
        AuxiliaryPredictions = AuxiliaryOutputs.ToDictionary(p => p.Key, p => p.Value.Prediction);
    }

    public Tensor SharedFeature { get; }

    /// <summary>Every prediction, by task; heads not run yet run now.</summary>
    public IReadOnlyDictionary<string, Tensor> Predictions
    {
        get
        {
            foreach (var task in _pending.Keys.ToList()) _made[task] = Make(task);
            return _made;
        }
    }

    /// <summary>The training-only predictions by loss key, each with the task that supervises it and its loss's weight:
    /// an auxiliary module's under its task's name, a deep-supervision head's under "deep_supervision.&lt;task&gt;.&lt;stage&gt;"
    /// (<see cref="DeepSupervisionHeads.Key"/>). Empty in evaluation.</summary>
    public IReadOnlyDictionary<string, AuxiliaryPrediction> AuxiliaryOutputs { get; }

    /// <summary>The predictions of <see cref="AuxiliaryOutputs"/> alone, by the same keys.</summary>
    public IReadOnlyDictionary<string, Tensor> AuxiliaryPredictions { get; }

    /// <summary>The tasks predicted, made or not.</summary>
    public IEnumerable<string> Tasks => _made.Keys.Concat(_pending.Keys);

    /// <summary>One task's prediction (its head runs now if it has not yet), handed to the caller, who disposes it.</summary>
    public Tensor Take(string task)
    {
        if (_made.Remove(task, out var made)) return made;
        if (_pending.ContainsKey(task)) return Make(task);
        throw new KeyNotFoundException($"no prediction of task '{task}' (predicted: {string.Join(", ", Tasks)})");
    }

    private Tensor Make(string task)
    {
        var make = _pending[task];
        _pending.Remove(task);
        return make();
    }
}

/// <summary>A training-only prediction at the input's size: the task whose target and loss supervise it, and the weight
/// of that loss in the total (1 for an auxiliary module, the deep-supervision weight for a stage's head).</summary>
public sealed record AuxiliaryPrediction(string Task, Tensor Prediction, double Weight = 1);
