using System.Runtime.InteropServices;

namespace NativeMtl.Kernels.Cuda.Native;

/// <summary>cuBLAS (cublas_api.h, the v2 API): the handle, its stream and workspace, the math mode and the
/// strided-batched GEMMs. Matrices are column-major.</summary>
internal static unsafe partial class Cublas
{
    private const string Library = "cublas";

    public const int StatusSuccess = 0;
    public const int OpN = 0;
    public const int OpT = 1;
    /// <summary>CUBLAS_DEFAULT_MATH: Float32 GEMMs in full precision, no TF32 tensor cores.</summary>
    public const int DefaultMath = 0;

    [LibraryImport(Library, EntryPoint = "cublasCreate_v2")] public static partial int cublasCreate(out nint handle);
    [LibraryImport(Library, EntryPoint = "cublasDestroy_v2")] public static partial int cublasDestroy(nint handle);
    [LibraryImport(Library, EntryPoint = "cublasSetStream_v2")] public static partial int cublasSetStream(nint handle, nint stream);
    [LibraryImport(Library, EntryPoint = "cublasSetWorkspace_v2")] public static partial int cublasSetWorkspace(nint handle, ulong workspace, nuint bytes);
    [LibraryImport(Library)] public static partial int cublasSetMathMode(nint handle, int mode);
    [LibraryImport(Library)] public static partial nint cublasGetStatusString(int status);
    [LibraryImport(Library, EntryPoint = "cublasGetVersion_v2")] public static partial int cublasGetVersion(nint handle, out int version);

    [LibraryImport(Library)]
    public static partial int cublasSgemmStridedBatched(nint handle, int transA, int transB, int m, int n, int k,
        float* alpha, ulong a, int lda, long strideA, ulong b, int ldb, long strideB,
        float* beta, ulong c, int ldc, long strideC, int batchCount);

    [LibraryImport(Library)]
    public static partial int cublasDgemmStridedBatched(nint handle, int transA, int transB, int m, int n, int k,
        double* alpha, ulong a, int lda, long strideA, ulong b, int ldb, long strideB,
        double* beta, ulong c, int ldc, long strideC, int batchCount);

    [LibraryImport(Library, EntryPoint = "cublasSsyrk_v2")]
    public static partial int cublasSsyrk(nint handle, int uplo, int trans, int n, int k, float* alpha, ulong a, int lda, float* beta, ulong c, int ldc);

    [LibraryImport(Library, EntryPoint = "cublasDsyrk_v2")]
    public static partial int cublasDsyrk(nint handle, int uplo, int trans, int n, int k, double* alpha, ulong a, int lda, double* beta, ulong c, int ldc);

    public static void Check(int status, string call, string? context = null)
    {
        if (status == StatusSuccess) return;
        var text = cublasGetStatusString(status);
        throw new CudaException(status, call, context, text != 0 ? Marshal.PtrToStringUTF8(text)! : $"cublasStatus_t {status}");
    }
}
