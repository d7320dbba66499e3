namespace NativeMtl.Kernels.Cuda;

/// <summary>A failed CUDA, cuBLAS or cuDNN call: the library's error name and description, the call, and the op
/// and shapes it served.</summary>
public sealed class CudaException : Exception
{
    public CudaException(int code, string call, string? context, string description)
        : base(context is null ? $"{call} failed: {description}" : $"{context}: {call} failed: {description}")
    {
        Code = code;
        Call = call;
    }

    /// <summary>The library's status code (a CUresult, cublasStatus_t or cudnnStatus_t).</summary>
    public int Code { get; }

    /// <summary>The library function that failed.</summary>
    public string Call { get; }
}
