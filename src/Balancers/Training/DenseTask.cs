using NativeMtl.Data;
using NativeMtl.Models;

namespace NativeMtl.Balancers;

/// <summary>A dense prediction task of a training run: what the model predicts, its role, its loss, and where its
/// target (and mask, if any) comes from in a batch.</summary>
public sealed record DenseTask(TaskSpec Spec, TaskRole Role, TaskLoss Loss, Func<DenseBatch, Tensor> Target, Func<DenseBatch, Tensor?>? Mask = null)
{
    public string Name => Spec.Name;

    /// <summary>The tasks a dataset provides, by their config names: seg, depth, normal, curvature.</summary>
    public static IReadOnlyList<string> Known { get; } = ["seg", "depth", "normal", "curvature"];

    /// <summary>A task by its config name; <paramref name="classes"/> is the segmentation class count.</summary>
    public static DenseTask Create(string name, TaskRole role, int classes) => name switch
    {
        "seg" => new(TaskSpec.Segmentation(classes), role, new CrossEntropyLoss(-1), b => b.Labels),
        "depth" => new(TaskSpec.Depth(), role, new MaskedL1Loss(), b => b.Depth),
        "normal" => new(TaskSpec.Normal(), role, new NormalCosineLoss(), b => b.Normals),
        "curvature" => new(TaskSpec.Curvature(), role, new MaskedL1Loss(),
            b => b.Curvature ?? throw new ArgumentException("task curvature: this dataset has no curvature (only the synthetic scenes do)"),
            b => Tensors.Ones(new Shape(b.Count, 1, b.Image.Shape[2], b.Image.Shape[3]), device: b.Image.Device)),
        _ => throw new ArgumentException($"unknown task '{name}' (known: {string.Join(", ", Known)})"),
    };
}
