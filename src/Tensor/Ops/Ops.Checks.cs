using NativeMtl.Kernels;

namespace NativeMtl.Raw;

public static partial class Ops
{
    public static void SameDevice(string op, Tensor a, Tensor b)
    {
        if (a.Device != b.Device) throw new ArgumentException($"{op}: tensors are on different devices ({a.Device} and {b.Device})");
    }

    public static void SameDType(string op, Tensor a, Tensor b)
    {
        if (a.DType != b.DType) throw new ArgumentException($"{op}: dtypes {a.DType} and {b.DType} differ; cast one first");
    }

    public static void FloatingPoint(string op, Tensor x)
    {
        if (!x.DType.IsFloatingPoint()) throw new ArgumentException($"{op}: needs a floating-point tensor, not {x.DType}{x.Shape}");
    }

    public static void RankIs(string op, Tensor x, int rank, string layout)
    {
        if (x.Rank != rank) throw new ShapeException(op, $"expects a rank-{rank} {layout} tensor, got {x.Shape}");
    }

    /// <summary>x's kernel view read as if it had the broadcast shape.</summary>
    internal static TensorRef BroadcastRef(string op, Tensor x, Shape shape)
    {
        if (Shape.Broadcast(op, x.Shape, shape) != shape)
            throw new ShapeException(op, $"shape {x.Shape} does not broadcast to {shape}");
        var r = x.Ref;
        return new TensorRef(r.Buffer, r.DType, r.Offset, shape.ToArray(), BroadcastStrides(x, shape));
    }

    /// <summary>A dense handle on x (x itself or a copy) that the caller disposes once its kernel is enqueued;
    /// device backends free stream-ordered, so the memory outlives the queued work.</summary>
    internal static Tensor Dense(Tensor x) => Contiguous(x).DetachFromScope();
}
