using NativeMtl.Kernels.Cuda.Native;

namespace NativeMtl.Kernels.Cuda;

/// <summary>
/// GEMM on cuBLAS (strided-batched, TF32 off). cuBLAS is column-major, and a row-major [R, C] matrix is the
/// column-major [C, R] matrix of the same memory, so row-major c = a·b is column-major cᵀ = bᵀ·aᵀ: cuBLAS gets
/// m = N, n = M, k = K and the operands swapped. A transposed view is passed as such (OP_T) instead of being
/// copied; a batch stride of zero repeats an operand.
/// </summary>
public sealed unsafe partial class CudaBackend
{
    public void Gemm(TensorRef a, TensorRef b, TensorRef c, double alpha, double beta)
    {
        string suffix = FloatSuffix(c, "Gemm");
        if (a.Rank != 3 || b.Rank != 3 || c.Rank != 3 || a.Shape[0] != c.Shape[0] || b.Shape[0] != c.Shape[0]
            || a.Shape[2] != b.Shape[1] || a.Shape[1] != c.Shape[1] || b.Shape[2] != c.Shape[2])
            throw new ArgumentException($"Gemm: expects a [B,M,K], b [B,K,N] and c [B,M,N], got {a}, {b} and {c}");
        if (a.DType != c.DType || b.DType != c.DType) throw new ArgumentException($"Gemm: dtypes of {a}, {b} and {c} differ");
        RequireContiguous("Gemm", c);
        int batch = c.Shape[0], m = c.Shape[1], n = c.Shape[2], k = a.Shape[2];
        if (batch == 0 || m == 0 || n == 0) return;
        var gpu = Vendor("Gemm", "cuBLAS");
        // In cuBLAS's column-major view b is the left operand: N×K, stored as rows of b (OP_N) or columns of bᵀ (OP_T).
        var (opB, ldb) = ColumnMajorOperand("Gemm", b, rows: n, columns: k, rowStride: b.Strides[2], columnStride: b.Strides[1]);
        var (opA, lda) = ColumnMajorOperand("Gemm", a, rows: k, columns: m, rowStride: a.Strides[2], columnStride: a.Strides[1]);
        gpu.Enter();
        ulong pa = Address(a, "Gemm"), pb = Address(b, "Gemm"), pc = Address(c, "Gemm");
        long strideA = a.Strides[0], strideB = b.Strides[0], strideC = (long)m * n;
        int status;
        if (suffix == "f32")
        {
            float fa = (float)alpha, fb = (float)beta;
            status = Cublas.cublasSgemmStridedBatched(gpu.Cublas, opB, opA, n, m, k, &fa, pb, ldb, strideB, pa, lda, strideA, &fb, pc, n, strideC, batch);
        }
        else
        {
            status = Cublas.cublasDgemmStridedBatched(gpu.Cublas, opB, opA, n, m, k, &alpha, pb, ldb, strideB, pa, lda, strideA, &beta, pc, n, strideC, batch);
        }
        Cublas.Check(status, suffix == "f32" ? "cublasSgemmStridedBatched" : "cublasDgemmStridedBatched", $"Gemm on {a}, {b}, {c}");
    }

    /// <summary>How cuBLAS should read a row-major operand that it needs as a column-major rows×columns matrix:
    /// <paramref name="rowStride"/> is the element step between its rows (in cuBLAS's view) and
    /// <paramref name="columnStride"/> the step between columns. Unit row steps make OP_N with the column stride
    /// as leading dimension; unit column steps make OP_T of the transposed matrix.</summary>
    private static (int Op, int Ld) ColumnMajorOperand(string op, TensorRef t, int rows, int columns, long rowStride, long columnStride)
    {
        if (rowStride == 1 && (columns == 1 || columnStride >= Math.Max(1, rows)))
            return (Cublas.OpN, checked((int)Math.Max(columns == 1 ? rows : columnStride, 1)));
        if (columnStride == 1 && (rows == 1 || rowStride >= Math.Max(1, columns)))
            return (Cublas.OpT, checked((int)Math.Max(rows == 1 ? columns : rowStride, 1)));
        throw new ArgumentException($"{op}: {t} with strides [{string.Join(",", t.Strides)}] has no unit stride along either matrix axis");
    }
}
