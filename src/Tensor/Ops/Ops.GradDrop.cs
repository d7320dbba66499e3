using NativeMtl.Kernels;

namespace NativeMtl.Raw;

public static partial class Ops
{
    /// <summary>GradDrop's combined feature gradient [N, …] from the K per-task gradients <paramref name="grads"/>
    /// [K, N, …] at the feature <paramref name="feature"/> [N, …]: at each feature position the tasks whose summed
    /// signed gradient disagrees with a sign drawn by its purity are dropped (kept at <paramref name="leak"/>); the
    /// draws are Philox counters offset + position under <paramref name="seed"/>, the same on every backend.</summary>
    public static Tensor GradDrop(Tensor grads, Tensor feature, ulong seed, ulong offset, double leak = 0)
    {
        FloatingPoint("GradDrop", grads);
        SameDevice("GradDrop", grads, feature);
        if (grads.Rank < 2 || grads.Shape.ToArray()[1..].AsSpan().SequenceCompareTo(feature.Shape.ToArray()) != 0)
            throw new ShapeException("GradDrop", $"per-task gradients {grads.Shape} must be [K] followed by the feature's shape {feature.Shape}");
        if (leak is < 0 or > 1) throw new ArgumentException($"GradDrop: leak {leak} must be in [0, 1]");
        int k = grads.Shape[0], n = feature.Rank == 0 ? 1 : feature.Shape[0];
        int f = n == 0 ? 0 : (int)(feature.Count / n);
        using var g = Reshape(grads, k, n, f);
        using var x = Reshape(feature, n, f);
        using var y = Tensors.Empty(new Shape(n, f), grads.DType, grads.Device);
        grads.Backend.GradDrop(g.Ref, x.Ref, seed, offset, leak, y.Ref);
        return Reshape(y, feature.Shape.ToArray());
    }
}
