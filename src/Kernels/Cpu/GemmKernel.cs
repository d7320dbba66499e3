using System.Numerics;

namespace NativeMtl.Kernels.Cpu;

/// <summary>Single-matrix GEMM on raw pointers: C = alpha·A·B + beta·C, with A[i,p] at
/// a[i·aRow + p·aCol] and B[p,j] at b[p·bRow + j·bCol] (so a transposed operand is only other strides),
/// and C row-major with leading dimension ldc.</summary>
public static unsafe class GemmKernel
{
    public static void Multiply<T>(int m, int n, int k, T alpha, T* a, long aRow, long aCol, T* b, long bRow, long bCol,
        T beta, T* c, long ldc, bool parallel = true) where T : unmanaged, IFloatingPointIeee754<T>
    {
        for (int i = 0; i < m; i++)
        for (int j = 0; j < n; j++)
        {
            T acc = T.Zero;
            for (int p = 0; p < k; p++) acc += a[i * aRow + p * aCol] * b[p * bRow + j * bCol];
            T* cij = c + i * ldc + j;
            *cij = beta == T.Zero ? alpha * acc : alpha * acc + beta * *cij;
        }
    }
}
