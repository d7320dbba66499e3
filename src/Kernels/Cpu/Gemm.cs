using System.Numerics;

namespace NativeMtl.Kernels.Cpu;

public sealed unsafe partial class CpuBackend
{
    /// <summary>Each matrix of the batch through <see cref="GemmKernel"/>, which reads a and b through their
    /// strides, so transposed views and a zero batch stride need no copies.</summary>
    public void Gemm(TensorRef a, TensorRef b, TensorRef c, double alpha, double beta)
    {
        if (a.Rank != 3 || b.Rank != 3 || c.Rank != 3 || a.Shape[2] != b.Shape[1] || a.Shape[1] != c.Shape[1] || b.Shape[2] != c.Shape[2]
            || a.Shape[0] != c.Shape[0] || b.Shape[0] != c.Shape[0])
            throw new ArgumentException($"Gemm: expects a [B,M,K], b [B,K,N] and c [B,M,N], got {a}, {b} and {c}");
        if (!c.IsContiguous) throw new ArgumentException($"Gemm: {c} must be contiguous");
        if (IsDouble(c, "Gemm")) Gemm<double>(a, b, c, alpha, beta);
        else Gemm<float>(a, b, c, alpha, beta);
    }

    private static void Gemm<T>(TensorRef a, TensorRef b, TensorRef c, double alpha, double beta) where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* pa = a.Ptr<T>(), pb = b.Ptr<T>(), pc = c.Ptr<T>();
        for (int i = 0; i < c.Shape[0]; i++)
            GemmKernel.Multiply(c.Shape[1], c.Shape[2], a.Shape[2], T.CreateTruncating(alpha),
                pa + i * a.Strides[0], a.Strides[1], a.Strides[2], pb + i * b.Strides[0], b.Strides[1], b.Strides[2],
                T.CreateTruncating(beta), pc + i * c.Strides[0], c.Strides[1]);
    }
}
