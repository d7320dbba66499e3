using NativeMtl.Kernels.Cuda;
using NativeMtl.Kernels.Cuda.Native;

namespace NativeMtl.Tests.Cuda;

public class CudaLibrariesTests
{
    [SkippableFact]
    public void AMissingDriverIsReportedWithEveryPathTried()
    {
        Skip.If(CudaRuntime.TryRegister(out _), "the CUDA driver is present on this machine");
        var error = Assert.Throws<DllNotFoundException>(() => CudaLibraries.Require("cuda"));
        Assert.StartsWith("libcuda.so.1 (the NVIDIA driver) was not found (set NATIVEMTL_CUDA_LIBS to its folder); tried: ", error.Message);
        Assert.Contains("libcuda.so.1 (system loader)", error.Message);
        Assert.Contains("/usr/local/cuda/lib64/libcuda.so.1", error.Message);
    }

    [SkippableFact]
    public void TryRegisterWithoutCudaReturnsFalseWithAOneLineReason()
    {
        Skip.If(CudaRuntime.TryRegister(out _), "the CUDA driver is present on this machine");
        Assert.False(CudaRuntime.TryRegister(out string whyNot));
        Assert.DoesNotContain('\n', whyNot);
        Assert.Contains("libcuda.so.1", whyNot);
    }

    [SkippableFact]
    public void TheFoldersOfTheEnvironmentOverrideAreSearchedFirst()
    {
        Skip.If(CudaRuntime.TryRegister(out _), "the CUDA driver is present on this machine");
        var folders = new[] { Path.Join(Path.GetTempPath(), "nmtl-libs-a"), Path.Join(Path.GetTempPath(), "nmtl-libs-b") };
        var before = Environment.GetEnvironmentVariable(CudaLibraries.OverrideVariable);
        Environment.SetEnvironmentVariable(CudaLibraries.OverrideVariable, string.Join(':', folders));
        try
        {
            var error = Assert.Throws<DllNotFoundException>(() => CudaLibraries.Require("cuda"));
            string tried = error.Message[(error.Message.IndexOf("tried: ", StringComparison.Ordinal) + "tried: ".Length)..];
            Assert.StartsWith($"{folders[0]}/libcuda.so.1, {folders[1]}/libcuda.so.1, libcuda.so.1 (system loader)", tried);
        }
        finally
        {
            Environment.SetEnvironmentVariable(CudaLibraries.OverrideVariable, before);
        }
    }

    [Fact]
    public void AnUnknownLibraryNameIsAnArgumentError()
    {
        var error = Assert.Throws<ArgumentException>(() => CudaLibraries.Require("curand"));
        Assert.Contains("unknown CUDA library 'curand'", error.Message);
    }
}
