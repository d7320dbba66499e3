using NativeMtl.Kernels;

namespace NativeMtl.Raw;

public static partial class Ops
{
    /// <summary>Matrix product of [M,K]·[K,N], or batched [B,M,K]·[B,K,N]; a rank-2 operand (or a batch of 1)
    /// is reused for every batch. Transposed views are read in place, without copies.</summary>
    public static Tensor Matmul(Tensor a, Tensor b)
    {
        SameDevice("Matmul", a, b);
        SameDType("Matmul", a, b);
        FloatingPoint("Matmul", a);
        if (a.Rank is < 2 or > 3 || b.Rank is < 2 or > 3)
            throw new ShapeException("Matmul", $"expects rank-2 or rank-3 operands, got {a.Shape} and {b.Shape}");
        int m = a.Shape[-2], k = a.Shape[-1], n = b.Shape[-1];
        if (b.Shape[-2] != k) throw new ShapeException("Matmul", $"inner sizes differ: {a.Shape} and {b.Shape}");
        int batchA = a.Rank == 3 ? a.Shape[0] : 1, batchB = b.Rank == 3 ? b.Shape[0] : 1;
        if (batchA != batchB && batchA != 1 && batchB != 1)
            throw new ShapeException("Matmul", $"batch sizes {batchA} and {batchB} do not broadcast: {a.Shape} and {b.Shape}");
        int batch = Math.Max(batchA, batchB);
        using var ad = GemmOperand(a);
        using var bd = GemmOperand(b);
        var c = Tensors.Empty(a.Rank == 3 || b.Rank == 3 ? new Shape(batch, m, n) : new Shape(m, n), a.DType, a.Device);
        a.Backend.Gemm(AsBatch(ad, batch), AsBatch(bd, batch), AsBatch(c, batch), 1, 0);
        return c;
    }

    /// <summary>A handle whose last two axes have a unit stride on one of them, copying only when needed.</summary>
    private static Tensor GemmOperand(Tensor x)
    {
        bool unit = x.Strides[^1] == 1 || x.Strides[^2] == 1;
        return unit ? x.View(x.Shape, x.Strides.ToArray(), x.Offset).DetachFromScope() : Dense(x);
    }

    private static TensorRef AsBatch(Tensor x, int batch)
    {
        var r = x.Ref;
        if (x.Rank == 3 && x.Shape[0] == batch) return r;
        long batchStride = x.Rank == 3 && x.Shape[0] != 1 ? r.Strides[0] : 0;
        return new TensorRef(r.Buffer, r.DType, r.Offset, [batch, x.Shape[-2], x.Shape[-1]], [batchStride, x.Strides[^2], x.Strides[^1]]);
    }
}
