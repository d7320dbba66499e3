using NativeMtl.Kernels;
using NativeMtl.Kernels.Cuda;
using NativeMtl.Kernels.Cuda.Native;

namespace NativeMtl.Tests.Cuda;

/// <summary>Run-time modules without a GPU: what does not need NVRTC runs everywhere, what does skips where it is
/// missing. These tests change the process's environment, so they run alone.</summary>
[Collection(nameof(CudaEnvironmentCollection))]
public class RuntimeModuleTests
{
    [Fact]
    public void APtxModuleHandsBackItsPtxForEveryDeviceAndHasNoSource()
    {
        const string ptx = ".version 7.0\n.target sm_80\n.address_size 64\n";
        var module = RuntimeModule.FromPtx("handwritten", ptx);
        Assert.Equal(ptx, module.Ptx(8, 0));
        Assert.Equal(ptx, module.Ptx(9, 0));
        Assert.Null(module.Source);
        Assert.Equal("handwritten", module.Name);
    }

    [Fact]
    public void TheCacheFileIsNamedByTheModuleAndAHashAndIsTheSameForTheSameInputs()
    {
        var file = CacheFile();
        Assert.Matches(@"^/cache/scale_add-[0-9a-f]{64}\.ptx$", file);
        Assert.Equal(file, CacheFile());
    }

    [Fact]
    public void TheCacheFileChangesWithTheSourceTheOptionsTheArchitectureAndNvrtcsVersion()
    {
        var file = CacheFile();
        Assert.NotEqual(file, CacheFile(source: ScaleAddKernel.Source + "\n"));
        Assert.NotEqual(file, CacheFile(options: ["-DTILE=8"]));
        Assert.NotEqual(file, CacheFile(options: []));
        Assert.NotEqual(file, CacheFile(major: 8));
        Assert.NotEqual(file, CacheFile(minor: 9));
        Assert.NotEqual(file, CacheFile(nvrtcVersion: "12.9"));
    }

    private static string CacheFile(string source = ScaleAddKernel.Source, string[]? options = null, int major = 9, int minor = 0, string nvrtcVersion = "13.0") =>
        RuntimeModule.CacheFile("/cache", "scale_add", source, options ?? ["-DTILE=4"], major, minor, nvrtcVersion);

    [Fact]
    public void TheCacheFolderIsNativeMtlKernelCacheElseXdgCacheHomeElseTheHomeCache()
    {
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        WithEnvironment([(KernelCache.FolderVariable, "/chosen"), ("XDG_CACHE_HOME", "/xdg")], () => Assert.Equal("/chosen", KernelCache.Folder()));
        WithEnvironment([(KernelCache.FolderVariable, ""), ("XDG_CACHE_HOME", "/xdg")], () => Assert.Equal("/xdg/nativemtl/kernels", KernelCache.Folder()));
        WithEnvironment([(KernelCache.FolderVariable, null), ("XDG_CACHE_HOME", null)], () => Assert.Equal($"{home}/.cache/nativemtl/kernels", KernelCache.Folder()));
    }

    [Fact]
    public void AModuleNameThatCouldNotNameAFileIsRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => RuntimeModule.FromCudaSource("../escape", ScaleAddKernel.Source));
        Assert.StartsWith("runtime module name '../escape' must be letters, digits, '_', '-' and '.' only", error.Message);
    }

    [SkippableFact]
    public void WithoutNvrtcCompilingSaysSoAndListsEveryPathTried()
    {
        Skip.If(NvrtcFound(), "NVRTC is present on this machine");
        var folder = Path.Join(Path.GetTempPath(), "nmtl-no-nvrtc");
        WithEnvironment([(CudaLibraries.OverrideVariable, folder)], () =>
        {
            var error = Assert.Throws<CudaLibraryMissingException>(() => RuntimeModule.FromCudaSource("scale_add", ScaleAddKernel.Source).Ptx(9, 0));
            Assert.StartsWith("libnvrtc.so.13 or libnvrtc.so.12 (NVRTC, the run-time CUDA compiler) was not found (set NATIVEMTL_CUDA_LIBS to its folder); tried: " +
                $"{folder}/libnvrtc.so.13, libnvrtc.so.13 (system loader), /usr/local/cuda/lib64/libnvrtc.so.13", error.Message);
            Assert.Contains($"{folder}/libnvrtc.so.12, libnvrtc.so.12 (system loader), /usr/local/cuda/lib64/libnvrtc.so.12", error.Message);
        });
    }

    /// <summary>The second module of the same source reads the cache file rather than compiling: the mark written into
    /// the file comes back.</summary>
    [SkippableFact]
    public void NvrtcCompilesCudaSourceToPtxThatTheNextModuleOfTheSameSourceReadsFromTheCache()
    {
        Skip.IfNot(NvrtcFound(), "NVRTC is not installed here");
        WithKernelCache(folder =>
        {
            var ptx = RuntimeModule.FromCudaSource("scale_add", ScaleAddKernel.Source).Ptx(8, 0);
            Assert.Contains(".visible .entry scale_add_f32(", ptx);
            var file = Assert.Single(Directory.GetFiles(folder));
            File.WriteAllText(file, ptx + "// from the cache\n");
            Assert.EndsWith("// from the cache\n", RuntimeModule.FromCudaSource("scale_add", ScaleAddKernel.Source).Ptx(8, 0));
        });
    }

    [SkippableFact]
    public void ACompileErrorNamesTheModuleAndCarriesNvrtcsLog()
    {
        Skip.IfNot(NvrtcFound(), "NVRTC is not installed here");
        WithKernelCache(_ =>
        {
            var broken = RuntimeModule.FromCudaSource("broken", "#include \"prelude.cuh\"\nNMTL_KERNEL broken(i64 n) { undeclared_name = n; }\n");
            var error = Assert.Throws<CudaException>(() => broken.Ptx(8, 0));
            Assert.StartsWith("runtime module 'broken' for compute_80: nvrtcCompileProgram failed: NVRTC_ERROR_COMPILATION", error.Message);
            Assert.Contains("undeclared_name", error.Message);
        });
    }

    /// <summary>1000 elements: three blocks of 256 threads and a partial fourth.</summary>
    [SkippableFact]
    public void AUserKernelCompiledByNvrtcRunsOnTheGpuLikeTheCpu()
    {
        Skip.IfNot(CudaRuntime.TryRegister(out string whyNot), $"no usable CUDA device: {whyNot}");
        Skip.IfNot(NvrtcFound(), "NVRTC is not installed here");
        WithKernelCache(_ =>
        {
            var gpu = (CudaBackend)Backends.For(Device.Cuda());
            Assert.Equal(ScaleAddKernel.OnTheCpu(1000), ScaleAddKernel.Run(gpu, RuntimeModule.FromCudaSource("scale_add", ScaleAddKernel.Source), 1000));
        });
    }

    internal static bool NvrtcFound()
    {
        try
        {
            CudaLibraries.Require("nvrtc");
            return true;
        }
        catch (DllNotFoundException)
        {
            return false;
        }
    }

    /// <summary>Runs <paramref name="body"/> with the kernel cache in a new temporary folder, deleted afterwards.</summary>
    internal static void WithKernelCache(Action<string> body)
    {
        var folder = Directory.CreateTempSubdirectory("nmtl-kernel-cache-").FullName;
        try
        {
            WithEnvironment([(KernelCache.FolderVariable, folder)], () => body(folder));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    private static void WithEnvironment((string Name, string? Value)[] variables, Action body)
    {
        var before = variables.Select(v => Environment.GetEnvironmentVariable(v.Name)).ToArray();
        foreach (var (name, value) in variables) Environment.SetEnvironmentVariable(name, value);
        try
        {
            body();
        }
        finally
        {
            for (int i = 0; i < variables.Length; i++) Environment.SetEnvironmentVariable(variables[i].Name, before[i]);
        }
    }
}
