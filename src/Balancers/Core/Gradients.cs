using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>Small device-side helpers over Gram matrices and per-task vectors.</summary>
internal static class Gradients
{
    /// <summary>cos(g_0, g_k) for every row k of the Gram matrix of K gradients (1 for k = 0; 0 against a zero gradient).</summary>
    public static Tensor CosinesWithFirst(Tensor gram)
    {
        var norms = Ops.Unary(UnaryOp.Sqrt, Ops.Diagonal(gram));
        var first = Ops.Reshape(Ops.Slice(gram, 0, 0, 1), gram.Shape[0]);
        var denominator = Ops.Scalar(ScalarOp.Clamp, Ops.Mul(norms, Ops.Slice(norms, 0, 0, 1)), 1e-30, double.PositiveInfinity);
        return Ops.Div(first, denominator);
    }

    /// <summary>1 where the value is above 0, else 0.</summary>
    public static Tensor Positive(Tensor values) => Ops.Binary(BinaryOp.Greater, values, Tensors.Zeros(Shape.Scalar, values.DType, values.Device));

    /// <summary>Row 0 of a Gram matrix: ⟨g_0, g_k⟩ for every k.</summary>
    public static Tensor InnerProductsWithFirst(Tensor gram) => Ops.Reshape(Ops.Slice(gram, 0, 0, 1), gram.Shape[0]);

    /// <summary>A per-task vector laid out in <paramref name="from"/>'s task order, rearranged into <paramref name="to"/>'s.</summary>
    public static Tensor Reorder(Tensor values, IReadOnlyList<string> from, IReadOnlyList<string> to) =>
        Ops.Concat(0, to.Select(task =>
        {
            int i = from.ToList().IndexOf(task);
            if (i < 0) throw new ArgumentException($"task '{task}' is missing from [{string.Join(", ", from)}]");
            return Ops.Slice(values, 0, i, i + 1);
        }).ToArray());

    /// <summary>The per-task feature gradients stacked as the rows of a [K, size of z] matrix (a balancer buffer).</summary>
    public static Tensor Stack(IReadOnlyList<Tensor> featureGradients)
    {
        var stacked = Ops.Concat(0, featureGradients.Select(g => Ops.Reshape(g, 1, -1)).ToArray());
        stacked.MemoryRole = MemoryRole.BalancerBuffer;
        return stacked;
    }
}
