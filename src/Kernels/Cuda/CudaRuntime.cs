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
    public static bool TryRegister(out string whyNot)
    {
        lock (Gate)
        {
            whyNot = "";
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
                return false;
            }
            Backends.Register(DeviceKind.Cuda, ordinal => new CudaBackend(CudaDevice.Open(ordinal)));
            _registered = true;
            return true;
        }
    }
}
