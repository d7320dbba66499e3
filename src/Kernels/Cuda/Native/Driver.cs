using System.Runtime.InteropServices;

namespace NativeMtl.Kernels.Cuda.Native;

/// <summary>The CUDA driver API (cuda.h), bound by hand: only what the engine uses, with the <c>_v2</c> entry
/// points that cuda.h's macros select. Handles are opaque pointers; device pointers are 64-bit integers.</summary>
internal static unsafe partial class Driver
{
    private const string Library = "cuda";

    public const int Success = 0;
    public const int ErrorOutOfMemory = 2;
    public const int ErrorNoDevice = 100;
    public const int ErrorNotFound = 500;

    public const int DeviceAttributeMultiprocessorCount = 16;
    public const int DeviceAttributeComputeCapabilityMajor = 75;
    public const int DeviceAttributeComputeCapabilityMinor = 76;
    public const int DeviceAttributeMemoryPoolsSupported = 115;

    public const uint StreamNonBlocking = 1;
    public const uint EventDefault = 0;
    public const int MemPoolAttributeReleaseThreshold = 4;

    public const int JitInfoLogBuffer = 3;
    public const int JitInfoLogBufferSizeBytes = 4;
    public const int JitErrorLogBuffer = 5;
    public const int JitErrorLogBufferSizeBytes = 6;

    [LibraryImport(Library)] public static partial int cuInit(uint flags);
    [LibraryImport(Library)] public static partial int cuDriverGetVersion(out int version);
    [LibraryImport(Library)] public static partial int cuDeviceGetCount(out int count);
    [LibraryImport(Library)] public static partial int cuDeviceGet(out int device, int ordinal);
    [LibraryImport(Library)] public static partial int cuDeviceGetName(byte* name, int length, int device);
    [LibraryImport(Library)] public static partial int cuDeviceGetAttribute(out int value, int attribute, int device);
    [LibraryImport(Library, EntryPoint = "cuDeviceTotalMem_v2")] public static partial int cuDeviceTotalMem(out nuint bytes, int device);
    [LibraryImport(Library)] public static partial int cuDevicePrimaryCtxRetain(out nint context, int device);
    [LibraryImport(Library, EntryPoint = "cuDevicePrimaryCtxRelease_v2")] public static partial int cuDevicePrimaryCtxRelease(int device);
    [LibraryImport(Library)] public static partial int cuCtxSetCurrent(nint context);
    [LibraryImport(Library)] public static partial int cuCtxSynchronize();

    [LibraryImport(Library)] public static partial int cuStreamCreate(out nint stream, uint flags);
    [LibraryImport(Library, EntryPoint = "cuStreamDestroy_v2")] public static partial int cuStreamDestroy(nint stream);
    [LibraryImport(Library)] public static partial int cuStreamSynchronize(nint stream);
    [LibraryImport(Library)] public static partial int cuEventCreate(out nint evt, uint flags);
    [LibraryImport(Library, EntryPoint = "cuEventDestroy_v2")] public static partial int cuEventDestroy(nint evt);
    [LibraryImport(Library)] public static partial int cuEventRecord(nint evt, nint stream);
    [LibraryImport(Library)] public static partial int cuEventSynchronize(nint evt);
    [LibraryImport(Library)] public static partial int cuEventElapsedTime(out float milliseconds, nint start, nint end);

    [LibraryImport(Library, EntryPoint = "cuMemGetInfo_v2")] public static partial int cuMemGetInfo(out nuint free, out nuint total);
    [LibraryImport(Library, EntryPoint = "cuMemAlloc_v2")] public static partial int cuMemAlloc(out ulong address, nuint bytes);
    [LibraryImport(Library, EntryPoint = "cuMemFree_v2")] public static partial int cuMemFree(ulong address);
    [LibraryImport(Library)] public static partial int cuMemAllocAsync(out ulong address, nuint bytes, nint stream);
    [LibraryImport(Library)] public static partial int cuMemFreeAsync(ulong address, nint stream);
    [LibraryImport(Library)] public static partial int cuDeviceGetDefaultMemPool(out nint pool, int device);
    [LibraryImport(Library)] public static partial int cuMemPoolSetAttribute(nint pool, int attribute, void* value);
    [LibraryImport(Library, EntryPoint = "cuMemcpyHtoDAsync_v2")] public static partial int cuMemcpyHtoDAsync(ulong destination, void* source, nuint bytes, nint stream);
    [LibraryImport(Library, EntryPoint = "cuMemcpyDtoHAsync_v2")] public static partial int cuMemcpyDtoHAsync(void* destination, ulong source, nuint bytes, nint stream);

    [LibraryImport(Library)] public static partial int cuModuleLoadDataEx(out nint module, void* image, uint optionCount, int* options, void** optionValues);
    [LibraryImport(Library)] public static partial int cuModuleUnload(nint module);
    [LibraryImport(Library, StringMarshalling = StringMarshalling.Utf8)] public static partial int cuModuleGetFunction(out nint function, nint module, string name);
    [LibraryImport(Library)]
    public static partial int cuLaunchKernel(nint function, uint gridX, uint gridY, uint gridZ, uint blockX, uint blockY, uint blockZ,
        uint sharedMemoryBytes, nint stream, void** kernelParams, void** extra);

    [LibraryImport(Library)] public static partial int cuGetErrorName(int error, out nint name);
    [LibraryImport(Library)] public static partial int cuGetErrorString(int error, out nint text);

    /// <summary>"CUDA_ERROR_X: description" for a driver result, from the driver itself when it knows the code.</summary>
    public static string Describe(int result)
    {
        string name = cuGetErrorName(result, out var n) == Success && n != 0 ? Marshal.PtrToStringUTF8(n)! : $"CUresult {result}";
        string text = cuGetErrorString(result, out var t) == Success && t != 0 ? Marshal.PtrToStringUTF8(t)! : "unknown error";
        return $"{name}: {text}";
    }

    /// <summary>Throws a <see cref="CudaException"/> naming the call and what it was doing when it failed.</summary>
    public static void Check(int result, string call, string? context = null)
    {
        if (result != Success) throw new CudaException(result, call, context, Describe(result));
    }
}
