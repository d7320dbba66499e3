using System.Runtime.InteropServices;

namespace NativeMtl.Kernels.Cuda.Native;

/// <summary>NVRTC (nvrtc.h), the run-time compiler of CUDA C to PTX, bound by hand: what
/// <see cref="RuntimeModule"/> uses. Strings go in as NUL-terminated UTF-8; the PTX and the log come back into
/// buffers of the sizes NVRTC reports (NUL included).</summary>
internal static unsafe partial class Nvrtc
{
    private const string Library = "nvrtc";

    public const int Success = 0;

    [LibraryImport(Library)] public static partial int nvrtcVersion(out int major, out int minor);
    [LibraryImport(Library)]
    public static partial int nvrtcCreateProgram(out nint program, byte* source, byte* name, int headerCount, byte** headers, byte** includeNames);
    [LibraryImport(Library)] public static partial int nvrtcCompileProgram(nint program, int optionCount, byte** options);
    [LibraryImport(Library)] public static partial int nvrtcGetPTXSize(nint program, out nuint size);
    [LibraryImport(Library)] public static partial int nvrtcGetPTX(nint program, byte* ptx);
    [LibraryImport(Library)] public static partial int nvrtcGetProgramLogSize(nint program, out nuint size);
    [LibraryImport(Library)] public static partial int nvrtcGetProgramLog(nint program, byte* log);
    [LibraryImport(Library)] public static partial int nvrtcDestroyProgram(ref nint program);
    [LibraryImport(Library)] public static partial nint nvrtcGetErrorString(int result);

    /// <summary>NVRTC's name for a result, e.g. NVRTC_ERROR_COMPILATION.</summary>
    public static string Describe(int result)
    {
        var text = nvrtcGetErrorString(result);
        return text != 0 ? Marshal.PtrToStringUTF8(text)! : $"nvrtcResult {result}";
    }

    /// <summary>Throws a <see cref="CudaException"/> naming the call and what it was doing when it failed.</summary>
    public static void Check(int result, string call, string? context = null)
    {
        if (result != Success) throw new CudaException(result, call, context, Describe(result));
    }
}
