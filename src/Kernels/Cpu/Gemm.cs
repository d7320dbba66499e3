using System.Numerics;

namespace NativeMtl.Kernels.Cpu;

/// <summary>Batched GEMM over <see cref="GemmKernel"/>. Threads go where the work is: across the batch when
/// it holds many small matrices, inside each product otherwise.</summary>
public sealed unsafe partial class CpuBackend
{
    /// <summary>Multiply-adds per matrix below which one product cannot keep every thread busy on its own.</summary>
    private const long SmallGemmWork = 128 * 128 * 128;

    public void Gemm(TensorRef a, TensorRef b, TensorRef c, double alpha, double beta)
    {
        if (a.Rank != 3 || b.Rank != 3 || c.Rank != 3)
            throw new ArgumentException($"Gemm expects rank-3 operands, got {a}, {b} and {c}");
        int batch = c.Shape[0], m = c.Shape[1], n = c.Shape[2], k = a.Shape[2];
        if (a.Shape[0] != batch || b.Shape[0] != batch || a.Shape[1] != m || b.Shape[1] != k || b.Shape[2] != n)
            throw new ArgumentException($"Gemm shapes do not match: {a} · {b} → {c}");
        if (a.DType != c.DType || b.DType != c.DType)
            throw new ArgumentException($"Gemm needs one dtype, got {a}, {b} and {c}");
        if (!c.IsContiguous) throw new ArgumentException($"Gemm needs a contiguous output, got strides [{string.Join(", ", c.Strides)}]");
        if (IsDouble(c, "Gemm")) Gemm<double>(a, b, c, batch, m, n, k, alpha, beta);
        else Gemm<float>(a, b, c, batch, m, n, k, (float)alpha, (float)beta);
    }

    private static void Gemm<T>(TensorRef a, TensorRef b, TensorRef c, int batch, int m, int n, int k, T alpha, T beta)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        T* pa = a.Ptr<T>(), pb = b.Ptr<T>(), pc = c.Ptr<T>();
        long aBatch = a.Strides[0], aRow = a.Strides[1], aCol = a.Strides[2];
        long bBatch = b.Strides[0], bRow = b.Strides[1], bCol = b.Strides[2];
        long cBatch = (long)m * n;
        long work = (long)m * n * k;
        if (batch > 1 && work < SmallGemmWork && work * batch >= SmallGemmWork)
        {
            Parallel.For(0, batch, i => GemmKernel.Multiply(m, n, k, alpha, pa + i * aBatch, aRow, aCol,
                pb + i * bBatch, bRow, bCol, beta, pc + i * cBatch, n, parallel: false));
            return;
        }
        for (int i = 0; i < batch; i++)
            GemmKernel.Multiply(m, n, k, alpha, pa + i * aBatch, aRow, aCol, pb + i * bBatch, bRow, bCol, beta, pc + i * cBatch, n);
    }
}
