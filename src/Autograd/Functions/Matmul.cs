using NativeMtl.Raw;

namespace NativeMtl;

public static partial class F
{
    /// <summary>[M,K]·[K,N] or batched [B,M,K]·[B,K,N] (see <see cref="Ops.Matmul"/>).</summary>
    public static Tensor Matmul(Tensor a, Tensor b)
    {
        Shape aShape = a.Shape, bShape = b.Shape;
        var y = Ops.Matmul(a, b);
        return Autograd.Record("Matmul", y, [a, b], [Autograd.NeedsGradient(b) ? a : null, Autograd.NeedsGradient(a) ? b : null],
            (gy, s, need) =>
            [
                need[0] ? Ops.SumToShape(Ops.Matmul(gy, Ops.Transpose(s[1]!, -1, -2)), aShape) : null,
                need[1] ? Ops.SumToShape(Ops.Matmul(Ops.Transpose(s[0]!, -1, -2), gy), bShape) : null,
            ], t => Tangents.Sum(y.Shape, Tangents.Map(t[0], ta => Ops.Matmul(ta, b)), Tangents.Map(t[1], tb => Ops.Matmul(a, tb))));
    }
}
