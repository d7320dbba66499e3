using NativeMtl.Kernels.Cuda;

namespace NativeMtl.Host.Check;

/// <summary>Errors that a check reports as a failed row and then goes on: a device or library call that failed,
/// an op the device does not support, or an op that rejected its arguments on one side only.</summary>
internal static class Failure
{
    public static bool IsReportable(Exception e) =>
        e is CudaException or NotSupportedException or ArgumentException or InvalidOperationException or DllNotFoundException or EntryPointNotFoundException;

    public static string Describe(Exception e) => $"{e.GetType().Name}: {e.Message.ReplaceLineEndings(" ")}";
}
