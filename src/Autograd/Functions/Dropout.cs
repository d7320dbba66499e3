using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl;

public static partial class F
{
    /// <summary>Inverted dropout (torch.nn.functional.dropout in training): each element is zeroed with probability
    /// <paramref name="p"/> and the rest are scaled by 1/(1 − p), the mask drawn from <paramref name="generator"/>.
    /// It saves no mask: the draw's Philox counters are kept and the rule draws the same mask again.</summary>
    public static Tensor Dropout(Tensor x, double p, Generator generator)
    {
        if (p is < 0 or >= 1) throw new ArgumentOutOfRangeException(nameof(p), $"Dropout: p = {p} must be in [0, 1)");
        var shape = x.Shape;
        var replay = new Generator(generator.Seed) { Offset = generator.Take(shape.Count) };
        Tensor Mask(DType dtype, Device device)
        {
            var draw = new Generator(replay.Seed) { Offset = replay.Offset };
            using var uniform = Tensors.Uniform(shape, draw, dtype: dtype, device: device).DetachFromScope();
            using var keep = Ops.Scalar(ScalarOp.InRange, uniform, p, 1).DetachFromScope();
            return Ops.MulAdd(keep, 1 / (1 - p));
        }
        Tensor y;
        using (var mask = Mask(x.DType, x.Device).DetachFromScope()) y = Ops.Mul(x, mask);
        return Autograd.Record("Dropout", y, [x], [], (gy, _, _) => [Ops.Mul(gy, Mask(gy.DType, gy.Device))], t => Ops.Mul(t[0]!, Mask(t[0]!.DType, t[0]!.Device)));
    }
}
