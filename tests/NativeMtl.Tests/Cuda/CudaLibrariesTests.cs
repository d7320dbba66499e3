using NativeMtl.Kernels;
using NativeMtl.Kernels.Cuda;
using NativeMtl.Kernels.Cuda.Native;

namespace NativeMtl.Tests.Cuda;

/// <summary>These tests change the process's NATIVEMTL_CUDA_LIBS, so they run alone: no other test sees the change.</summary>
[Collection(nameof(CudaEnvironmentCollection))]
public class CudaLibrariesTests
{
    [SkippableFact]
    public void AMissingDriverIsReportedWithEveryPathTried()
    {
        Skip.If(CudaRuntime.TryRegister(out _), "the CUDA driver is present on this machine");
        var error = Assert.Throws<CudaLibraryMissingException>(() => CudaLibraries.Require("cuda"));
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
            var error = Assert.Throws<CudaLibraryMissingException>(() => CudaLibraries.Require("cuda"));
            string tried = error.Message[(error.Message.IndexOf("tried: ", StringComparison.Ordinal) + "tried: ".Length)..];
            Assert.StartsWith($"{folders[0]}/libcuda.so.1, {folders[1]}/libcuda.so.1, libcuda.so.1 (system loader)", tried);
        }
        finally
        {
            Environment.SetEnvironmentVariable(CudaLibraries.OverrideVariable, before);
        }
    }

    /// <summary>A libcuda.so.1 that is there but no library (a broken install) is not "not found": the loader's reason
    /// is given, and device auto says why it fell back to the CPU instead of falling back silently.</summary>
    [SkippableFact]
    public void ADriverFileThatIsNoLibraryIsReportedAsFoundButUnloadable()
    {
        Skip.If(CudaRuntime.TryRegister(out _), "the CUDA driver is present on this machine");
        var folder = Path.Join(Path.GetTempPath(), $"nmtl-garbage-{Guid.NewGuid():N}");
        Directory.CreateDirectory(folder);
        File.WriteAllText(Path.Join(folder, "libcuda.so.1"), "not an ELF file");
        var before = Environment.GetEnvironmentVariable(CudaLibraries.OverrideVariable);
        Environment.SetEnvironmentVariable(CudaLibraries.OverrideVariable, folder);
        try
        {
            var error = Assert.Throws<DllNotFoundException>(() => CudaLibraries.Require("cuda"));
            Assert.StartsWith("libcuda.so.1 (the NVIDIA driver) was found but could not be loaded: ", error.Message);
            Assert.Contains(Path.Join(folder, "libcuda.so.1"), error.Message);

            Assert.Equal(Device.Cpu, global::NativeMtl.Host.Bench.DeviceChoice.Auto(out var whyNot));
            Assert.StartsWith("libcuda.so.1 (the NVIDIA driver) was found but could not be loaded", whyNot);
        }
        finally
        {
            Environment.SetEnvironmentVariable(CudaLibraries.OverrideVariable, before);
            Directory.Delete(folder, recursive: true);
        }
    }

    [SkippableFact]
    public void WithoutAnyDriverDeviceAutoChoosesTheCpuWithoutComment()
    {
        Skip.If(CudaRuntime.TryRegister(out _), "the CUDA driver is present on this machine");
        Assert.Equal(Device.Cpu, global::NativeMtl.Host.Bench.DeviceChoice.Auto(out var whyNot));
        Assert.Equal("", whyNot);
    }

    [Fact]
    public void AnUnknownLibraryNameIsAnArgumentError()
    {
        var error = Assert.Throws<ArgumentException>(() => CudaLibraries.Require("curand"));
        Assert.Contains("unknown CUDA library 'curand'", error.Message);
    }
}

[CollectionDefinition(nameof(CudaEnvironmentCollection), DisableParallelization = true)]
public sealed class CudaEnvironmentCollection;
