using NativeMtl.Raw;

namespace NativeMtl;

public static partial class F
{
    /// <summary>[M,K]·[K,N] or batched [B,M,K]·[B,K,N] (see <see cref="Ops.Matmul"/>).</summary>
    public static Tensor Matmul(Tensor a, Tensor b) =>
        Autograd.Record("Matmul", Ops.Matmul(a, b), [a, b], (gy, need) =>
        [
            need[0] ? Ops.SumToShape(Ops.Matmul(gy, Ops.Transpose(b, -1, -2)), a.Shape) : null,
            need[1] ? Ops.SumToShape(Ops.Matmul(Ops.Transpose(a, -1, -2), gy), b.Shape) : null,
        ]);
}
