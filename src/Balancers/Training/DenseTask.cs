using NativeMtl.Data;
using NativeMtl.Models;

namespace NativeMtl.Balancers;

/// <summary>A dense prediction task of a training run: what the model predicts, its role, its loss, where its
/// target (and mask, if any) comes from in a batch, how its pixels fall into classes (<see cref="Classes"/>), and the
/// validation metric of a task registered from outside (<see cref="Metric"/>; the built-in tasks' are chosen by name).</summary>
public sealed record DenseTask(TaskSpec Spec, TaskRole Role, TaskLoss Loss, Func<DenseBatch, Tensor> Target, Func<DenseBatch, Tensor?>? Mask = null,
    ClassSplit? Classes = null, Func<ITaskMetric>? Metric = null)
{
    public string Name => Spec.Name;

    /// <summary>The tasks a dataset provides, by their config names: seg, depth, normal, and from the synthetic scenes
    /// only curvature and coordinates; and two pseudo-auxiliary tasks (seed 002), noise and seg_noisy.</summary>
    public static IReadOnlyList<string> BuiltIn { get; } = ["seg", "depth", "normal", "curvature", "coordinates", "noise", "seg_noisy"];

    /// <summary>The built-in tasks and those plug-ins registered (<see cref="TaskRegistry"/>).</summary>
    public static IReadOnlyList<string> Known => [.. BuiltIn, .. TaskRegistry.Names];

    /// <summary>The tasks only the synthetic scenes provide.</summary>
    public static IReadOnlyList<string> SyntheticOnly { get; } = ["curvature", "coordinates"];

    /// <summary>A task by its config name (built in or registered); <paramref name="classes"/> is the segmentation class count and
    /// <paramref name="labelNoise"/> the share of seg_noisy's labels drawn at random.</summary>
    public static DenseTask Create(string name, TaskRole role, int classes, double labelNoise = DefaultLabelNoise) => name switch
    {
        "seg" => new(TaskSpec.Segmentation(classes), role, new CrossEntropyLoss(-1), b => b.Labels,
            Classes: new ClassSplit((b, _) => b.Labels, _ => classes)),
        "depth" => new(TaskSpec.Depth(), role, new MaskedL1Loss(), b => b.Depth,
            Classes: new ClassSplit((b, bins) => DepthBins.ClassifyLog(b.Depth, bins), bins => bins)),
        "normal" => new(TaskSpec.Normal(), role, new NormalCosineLoss(), b => b.Normals,
            Classes: new ClassSplit((b, bins) => NormalBins.Classify(b.Normals, bins), bins => bins)),
        "curvature" => new(TaskSpec.Curvature(), role, new MaskedL1Loss(),
            b => b.Curvature ?? throw new ArgumentException("task curvature: this dataset has no curvature (only the synthetic scenes do)"), AllPixels),
        // Each object's surface point in its own frame (m), learnt on the objects' pixels only (seed 000's dense
        // object coordinates, here for every object of the scene).
        "coordinates" => new(TaskSpec.ObjectCoordinates(), role, new MaskedL1Loss(),
            b => b.ObjectCoordinates ?? throw new ArgumentException("task coordinates: this dataset has no object coordinates (only the synthetic scenes do)"),
            b => b.Instances ?? throw new ArgumentException("task coordinates: this dataset has no instance masks (only the synthetic scenes do)")),
        // Pseudo-auxiliary tasks: a per-pixel standard normal drawn per sample (pure noise), and the segmentation labels
        // with a share replaced at random (a corrupted copy of the main task), both the same every epoch.
        "noise" => new(new TaskSpec("noise", 1, TaskKind.Regression), role, new MaskedL1Loss(),
            b => PerSample(b, i => PseudoTargets.Noise(b.Samples[i].Index, Pixels(b)), channels: 1, b.Image.DType), AllPixels),
        "seg_noisy" => new(TaskSpec.Segmentation(classes, "seg_noisy"), role, new CrossEntropyLoss(-1), b =>
        {
            var labels = b.Labels.ToArray<int>();
            int pixels = Pixels(b);
            return PerSample(b, i => PseudoTargets.CorruptLabels(labels.AsSpan(i * pixels, pixels), b.Samples[i].Index, classes, labelNoise), channels: 0, DType.Int32);
        }, Classes: new ClassSplit((b, _) => b.Labels, _ => classes)),
        _ => TaskRegistry.TryCreate(name, new TaskRequest(role, classes, labelNoise))
            ?? throw new ArgumentException($"unknown task '{name}' (known: {string.Join(", ", Known)})"),
    };

    public const double DefaultLabelNoise = 0.3;

    /// <summary>A mask that counts every pixel, for targets that may be zero or negative.</summary>
    private static Tensor AllPixels(DenseBatch b) => Tensors.Ones(new Shape(b.Count, 1, b.Image.Shape[2], b.Image.Shape[3]), device: b.Image.Device);

    private static int Pixels(DenseBatch b) => b.Image.Shape[2] * b.Image.Shape[3];

    /// <summary>A host target per sample (by its position in the batch) stacked into [N, C, H, W] (or [N, H, W] for
    /// <paramref name="channels"/> 0) on the batch's device.</summary>
    private static Tensor PerSample<T>(DenseBatch b, Func<int, T[]> make, int channels, DType dtype) where T : unmanaged
    {
        int h = b.Image.Shape[2], w = b.Image.Shape[3], per = Math.Max(channels, 1) * h * w;
        var all = new T[b.Count * per];
        for (int i = 0; i < b.Count; i++) make(i).CopyTo(all, i * per);
        var host = Tensors.FromArray(all, channels == 0 ? new Shape(b.Count, h, w) : new Shape(b.Count, channels, h, w), b.Image.Device);
        return host.DType == dtype ? host : Raw.Ops.Cast(host, dtype);
    }

    /// <summary>The tasks of the pose data (<see cref="PoseCrops"/>), by their config names: pose (the main task, object
    /// coordinates and mask), and the auxiliary tasks that cost no annotation.</summary>
    public static IReadOnlyList<string> KnownOnPose { get; } = ["pose", "depth", "normal", "curvature", "reconstruction"];

    /// <summary>A task of the pose data by its config name. Every task but pose is an L1 loss confined to the object's true
    /// mask (seed 000 Eq. 12): depth (Δdepth on crops, depth on full images), normals, curvatures and the input image
    /// (reconstruction).</summary>
    public static DenseTask CreateOnPose(string name, TaskRole role)
    {
        static Tensor ObjectMask(DenseBatch b) => b.Instances ?? throw new ArgumentException("pose tasks need the pose data's object masks");
        return name switch
        {
            "pose" => new(new TaskSpec("pose", 5, TaskKind.Regression), role, new PoseLoss(), b => PoseLoss.Target(
                b.ObjectCoordinates ?? throw new ArgumentException("task pose needs the pose data's object coordinates"), ObjectMask(b))),
            "depth" => new(TaskSpec.Depth(), role, new MaskedL1Loss(), b => b.Depth, ObjectMask),
            "normal" => new(TaskSpec.Normal(), role, new MaskedL1Loss(), b => b.Normals, ObjectMask),
            "curvature" => new(TaskSpec.Curvature(), role, new MaskedL1Loss(),
                b => b.Curvature ?? throw new ArgumentException("task curvature needs the pose data's curvatures"), ObjectMask),
            "reconstruction" => new(new TaskSpec("reconstruction", 3, TaskKind.Regression), role, new MaskedL1Loss(), b => b.Image, ObjectMask),
            _ => throw new ArgumentException($"unknown task '{name}' on the pose data (known: {string.Join(", ", KnownOnPose)})"),
        };
    }
}

/// <summary>How a task's pixels fall into classes, for the per-class losses of the class-wise balancer (seed 003):
/// segmentation by its labels, continuous tasks by bins of their targets (depth: log-spaced over 0.5–10 m, normals:
/// equal solid angles of their direction against up), the number of bins chosen by the balancer.</summary>
/// <param name="Map">A batch and the bin count to an Int32 class map [N, H, W] (−1: no class).</param>
/// <param name="Count">The bin count to the number of classes.</param>
public sealed record ClassSplit(Func<DenseBatch, int, Tensor> Map, Func<int, int> Count);
