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
}

/// <summary>
/// A multi-task forward pass. <see cref="SharedFeature"/> is z, the representation every task head reads:
/// predictions depend on the trunk only through it, so a multi-task step can take each task's gradient at z
/// and send one combined gradient back through the trunk. Auxiliary predictions (training only) read the
/// encoder's stages instead, so their losses reach the encoder without passing through z. All predictions
/// have the input's height and width.
/// </summary>
public sealed record MtlOutput(
    Tensor SharedFeature,
    IReadOnlyDictionary<string, Tensor> Predictions,
    IReadOnlyDictionary<string, Tensor> AuxiliaryPredictions);
