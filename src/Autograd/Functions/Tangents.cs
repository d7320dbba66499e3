using NativeMtl.Raw;

namespace NativeMtl;

/// <summary>Helpers of the forward-mode rules: a null tangent is zero, and terms of a sum may broadcast.</summary>
internal static class Tangents
{
    /// <summary>The sum of the present terms, broadcast to <paramref name="shape"/> (a view when only one is present).
    /// Terms the rule made itself are added into in place; a term that is an input's tangent is never written.</summary>
    public static Tensor Sum(Shape shape, params Tensor?[] terms)
    {
        Tensor? total = null;
        foreach (var term in terms)
        {
            if (term is null) continue;
            if (total is null) total = term;
            else if (IsScratch(total) && total.Shape == Shape.Broadcast("tangent", total.Shape, term.Shape)) Ops.AddInto(total, term);
            else total = Ops.Add(total, term);
        }
        return Ops.BroadcastTo(total ?? throw new InvalidOperationException("a forward-mode rule ran without any tangent"), shape);
    }

    /// <summary>A tensor the running rule made (it belongs to the rule's scope), which it may overwrite.</summary>
    public static bool IsScratch(Tensor t) => t.Scope is { } scope && scope == DisposeScope.Current && t.HasExclusiveStorage && t.IsContiguous;

    /// <summary>f(t), or null when t is.</summary>
    public static Tensor? Map(Tensor? t, Func<Tensor, Tensor> f) => t is null ? null : f(t);

    /// <summary>A tangent, or zeros shaped like <paramref name="like"/> where there is none.</summary>
    public static Tensor OrZeros(Tensor? t, Tensor like) => t ?? Tensors.ZerosLike(like);
}
