using System.Runtime.InteropServices;

namespace NativeMtl.Kernels.Cuda.Native;

/// <summary>cuDNN 9's legacy API (cudnn_ops.h, cudnn_cnn.h): tensor, filter and convolution descriptors, the
/// v7 algorithm heuristics, convolutions, and spatial batch norm. Deprecated in cuDNN 9 but present.</summary>
internal static unsafe partial class Cudnn
{
    private const string Library = "cudnn";

    public const int StatusSuccess = 0;
    public const int DataFloat = 0;
    public const int DataDouble = 1;
    public const int TensorNchw = 0;
    public const int CrossCorrelation = 1;
    /// <summary>CUDNN_FMA_MATH: no tensor-core math, so no TF32 (CUDNN_DEFAULT_MATH allows TF32 on sm_80+).</summary>
    public const int FmaMath = 3;
    public const int BatchNormSpatial = 1;
    /// <summary>CUDNN_BN_MIN_EPSILON: cuDNN rejects a smaller batch-norm epsilon.</summary>
    public const double BatchNormMinEpsilon = 1e-5;

    /// <summary>cudnnConvolutionFwdAlgoPerf_t, and the BwdData/BwdFilter variants, which share its layout.</summary>
    [StructLayout(LayoutKind.Sequential)]
    public struct AlgorithmPerformance
    {
        public int Algorithm;
        public int Status;
        public float Time;
        public nuint Memory;
        public int Determinism;
        public int MathType;
        public int Reserved0, Reserved1, Reserved2;
    }

    [LibraryImport(Library)] public static partial nuint cudnnGetVersion();
    [LibraryImport(Library)] public static partial nint cudnnGetErrorString(int status);
    [LibraryImport(Library)] public static partial int cudnnCreate(out nint handle);
    [LibraryImport(Library)] public static partial int cudnnDestroy(nint handle);
    [LibraryImport(Library)] public static partial int cudnnSetStream(nint handle, nint stream);

    [LibraryImport(Library)] public static partial int cudnnCreateTensorDescriptor(out nint descriptor);
    [LibraryImport(Library)] public static partial int cudnnDestroyTensorDescriptor(nint descriptor);
    [LibraryImport(Library)] public static partial int cudnnSetTensor4dDescriptor(nint descriptor, int format, int dataType, int n, int c, int h, int w);
    [LibraryImport(Library)] public static partial int cudnnCreateFilterDescriptor(out nint descriptor);
    [LibraryImport(Library)] public static partial int cudnnDestroyFilterDescriptor(nint descriptor);
    [LibraryImport(Library)] public static partial int cudnnSetFilter4dDescriptor(nint descriptor, int dataType, int format, int k, int c, int h, int w);
    [LibraryImport(Library)] public static partial int cudnnCreateConvolutionDescriptor(out nint descriptor);
    [LibraryImport(Library)] public static partial int cudnnDestroyConvolutionDescriptor(nint descriptor);
    [LibraryImport(Library)]
    public static partial int cudnnSetConvolution2dDescriptor(nint descriptor, int padH, int padW, int strideH, int strideW,
        int dilationH, int dilationW, int mode, int computeType);
    [LibraryImport(Library)] public static partial int cudnnSetConvolutionGroupCount(nint descriptor, int groups);
    [LibraryImport(Library)] public static partial int cudnnSetConvolutionMathType(nint descriptor, int mathType);

    [LibraryImport(Library)]
    public static partial int cudnnGetConvolutionForwardAlgorithm_v7(nint handle, nint x, nint w, nint conv, nint y,
        int requested, out int returned, AlgorithmPerformance* results);
    [LibraryImport(Library)]
    public static partial int cudnnGetConvolutionBackwardDataAlgorithm_v7(nint handle, nint w, nint dy, nint conv, nint dx,
        int requested, out int returned, AlgorithmPerformance* results);
    [LibraryImport(Library)]
    public static partial int cudnnGetConvolutionBackwardFilterAlgorithm_v7(nint handle, nint x, nint dy, nint conv, nint dw,
        int requested, out int returned, AlgorithmPerformance* results);
    [LibraryImport(Library)]
    public static partial int cudnnGetConvolutionForwardWorkspaceSize(nint handle, nint x, nint w, nint conv, nint y, int algorithm, out nuint bytes);
    [LibraryImport(Library)]
    public static partial int cudnnGetConvolutionBackwardDataWorkspaceSize(nint handle, nint w, nint dy, nint conv, nint dx, int algorithm, out nuint bytes);
    [LibraryImport(Library)]
    public static partial int cudnnGetConvolutionBackwardFilterWorkspaceSize(nint handle, nint x, nint dy, nint conv, nint dw, int algorithm, out nuint bytes);

    [LibraryImport(Library)]
    public static partial int cudnnConvolutionForward(nint handle, void* alpha, nint xDesc, ulong x, nint wDesc, ulong w, nint conv,
        int algorithm, ulong workspace, nuint workspaceBytes, void* beta, nint yDesc, ulong y);
    [LibraryImport(Library)]
    public static partial int cudnnConvolutionBackwardData(nint handle, void* alpha, nint wDesc, ulong w, nint dyDesc, ulong dy, nint conv,
        int algorithm, ulong workspace, nuint workspaceBytes, void* beta, nint dxDesc, ulong dx);
    [LibraryImport(Library)]
    public static partial int cudnnConvolutionBackwardFilter(nint handle, void* alpha, nint xDesc, ulong x, nint dyDesc, ulong dy, nint conv,
        int algorithm, ulong workspace, nuint workspaceBytes, void* beta, nint dwDesc, ulong dw);
    [LibraryImport(Library)]
    public static partial int cudnnAddTensor(nint handle, void* alpha, nint aDesc, ulong a, void* beta, nint cDesc, ulong c);

    [LibraryImport(Library)] public static partial int cudnnDeriveBNTensorDescriptor(nint derived, nint xDesc, int mode);
    [LibraryImport(Library)]
    public static partial int cudnnBatchNormalizationForwardTraining(nint handle, int mode, void* alpha, void* beta,
        nint xDesc, ulong x, nint yDesc, ulong y, nint bnDesc, ulong scale, ulong bias, double exponentialAverageFactor,
        ulong runningMean, ulong runningVariance, double epsilon, ulong saveMean, ulong saveInvVariance);
    [LibraryImport(Library)]
    public static partial int cudnnBatchNormalizationForwardInference(nint handle, int mode, void* alpha, void* beta,
        nint xDesc, ulong x, nint yDesc, ulong y, nint bnDesc, ulong scale, ulong bias, ulong mean, ulong variance, double epsilon);
    [LibraryImport(Library)]
    public static partial int cudnnBatchNormalizationBackward(nint handle, int mode, void* alphaData, void* betaData,
        void* alphaParam, void* betaParam, nint xDesc, ulong x, nint dyDesc, ulong dy, nint dxDesc, ulong dx, nint bnDesc,
        ulong scale, ulong scaleGradient, ulong biasGradient, double epsilon, ulong saveMean, ulong saveInvVariance);

    public static void Check(int status, string call, string? context = null)
    {
        if (status == StatusSuccess) return;
        var text = cudnnGetErrorString(status);
        throw new CudaException(status, call, context, text != 0 ? Marshal.PtrToStringUTF8(text)! : $"cudnnStatus_t {status}");
    }
}
