using NativeMtl.Kernels.Cuda.Native;

namespace NativeMtl.Kernels.Cuda;

/// <summary>
/// Registers the CUDA backend with <see cref="Backends"/>, explicitly: a program that wants CUDA calls
/// <see cref="TryRegister"/> once at start-up (nothing happens as a side effect of loading this assembly).
/// </summary>
public static class CudaRuntime
{
    private static readonly Lock Gate = new();
    private static bool _registered;

    /// <summary>Loads the driver, cuBLAS and cuDNN, checks that a device exists, and registers a factory that
    /// opens <c>cuda:N</c> on first use. Returns false with a one-line reason when CUDA is unusable here.</summary>
    public static bool TryRegister(out string whyNot) => TryRegister(out whyNot, out _);

    /// <summary>As <see cref="TryRegister(out string)"/>; <paramref name="absent"/> tells that no NVIDIA driver is
    /// installed at all, where a CPU is the expected device rather than a fallback worth a word.</summary>
    public static bool TryRegister(out string whyNot, out bool absent)
    {
        lock (Gate)
        {
            whyNot = "";
            absent = false;
            if (_registered) return true;
            try
            {
                CudaLibraries.Require("cuda");
                int result = Driver.cuInit(0);
                if (result != Driver.Success)
                {
                    whyNot = $"the CUDA driver did not initialize: {Driver.Describe(result)}";
                    return false;
                }
                Driver.Check(Driver.cuDeviceGetCount(out int count), "cuDeviceGetCount");
                if (count == 0)
                {
                    whyNot = "the CUDA driver reports no devices";
                    return false;
                }
                CudaLibraries.Require("cublas");
                CudaLibraries.Require("cudnn");
            }
            catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException or CudaException)
            {
                whyNot = e.Message.ReplaceLineEndings(" ");
                // No driver library at all: a machine without a GPU. A driver without cuBLAS or cuDNN is worth saying.
                absent = e is CudaLibraryMissingException && e.Message.StartsWith("libcuda.so.1", StringComparison.Ordinal);
                return false;
            }
            Backends.Register(DeviceKind.Cuda, ordinal => new CudaBackend(CudaDevice.Open(ordinal)));
            _registered = true;
            return true;
        }
    }
}
