using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace NativeMtl.Kernels.Cuda.Native;

/// <summary>
/// Finds the CUDA libraries for the bindings of this assembly, which name them by the logical names
/// <c>cuda</c>, <c>cublas</c>, <c>cudnn</c> and <c>nvrtc</c>. Each is probed by versioned soname (libcuda.so.1;
/// libcublas.so.13, then .12, with the libcublasLt of the same version loaded first; libcudnn.so.9 after its
/// sub-libraries; libnvrtc.so.13, then .12, after the libnvrtc-builtins of its folder), in these places in order:
/// the folders of NATIVEMTL_CUDA_LIBS (':'-separated), the system loader's own search (LD_LIBRARY_PATH, the ld
/// cache), the CUDA toolkit folders, and the lib folders of NVIDIA's Python wheels (site-packages/nvidia/*/lib, such
/// as nvidia/cublas/lib, nvidia/cuda_nvrtc/lib or the CUDA 13 bundle's nvidia/cu13/lib) in the usual Python
/// locations. A library that cannot be found raises an error that lists every path tried.
/// </summary>
public static class CudaLibraries
{
    /// <summary>The environment variable that names extra folders to search first.</summary>
    public const string OverrideVariable = "NATIVEMTL_CUDA_LIBS";

    private static readonly Lock Gate = new();
    private static readonly Lazy<string[]> WheelFolders = new(() => PythonWheelFolders().ToArray());
    private static readonly Dictionary<string, nint> Loaded = new();
    private static bool _resolverInstalled;

    /// <summary>Installs the resolver (once per assembly) and loads the library, or throws
    /// <see cref="DllNotFoundException"/> naming every path tried.</summary>
    public static void Require(string logicalName)
    {
        lock (Gate)
        {
            if (!_resolverInstalled)
            {
                NativeLibrary.SetDllImportResolver(typeof(CudaLibraries).Assembly, Resolve);
                _resolverInstalled = true;
            }
            if (Loaded.ContainsKey(logicalName)) return;
            var tried = new List<string>();
            var failures = new List<string>();
            nint handle = logicalName switch
            {
                "cuda" => LoadFirst(["libcuda.so.1"], tried, failures),
                "cublas" => LoadCublas(tried, failures),
                "cudnn" => LoadCudnn(tried, failures),
                "nvrtc" => LoadNvrtc(tried, failures),
                _ => throw new ArgumentException($"unknown CUDA library '{logicalName}'", nameof(logicalName)),
            };
            if (handle == 0 && failures.Count > 0)
                throw new DllNotFoundException($"{LibraryFileName(logicalName)} was found but could not be loaded: {failures[0]}");
            if (handle == 0)
                throw new CudaLibraryMissingException($"{LibraryFileName(logicalName)} was not found (set {OverrideVariable} to its folder); tried: {string.Join(", ", tried)}");
            Loaded[logicalName] = handle;
        }
    }

    private static string LibraryFileName(string logicalName) => logicalName switch
    {
        "cuda" => "libcuda.so.1 (the NVIDIA driver)",
        "cublas" => "libcublas.so.13 or libcublas.so.12",
        "cudnn" => "libcudnn.so.9",
        _ => "libnvrtc.so.13 or libnvrtc.so.12 (NVRTC, the run-time CUDA compiler)",
    };

    private static nint Resolve(string libraryName, Assembly assembly, DllImportSearchPath? searchPath)
    {
        lock (Gate) return Loaded.TryGetValue(libraryName, out var handle) ? handle : 0;
    }

    // libcublas resolves libcublasLt by soname; loading it first from the same folder makes that work when the folder
    // is not on the loader's path.
    private static nint LoadCublas(List<string> tried, List<string> failures) =>
        LoadNewest("libcublas", (folder, major) => Path.Join(folder, $"libcublasLt.so.{major}"), tried, failures);

    private static nint LoadCudnn(List<string> tried, List<string> failures)
    {
        var folder = FindFolderOf("libcudnn.so.9", tried);
        if (folder is null) return 0;
        // The libcudnn shim opens its sub-libraries by soname at run time; once loaded they are found by it.
        foreach (var part in new[] { "graph", "engines_precompiled", "engines_runtime_compiled", "heuristic", "ops", "cnn", "adv" })
            TryLoad(Path.Join(folder, $"libcudnn_{part}.so.9"), tried, failures);
        return TryLoad(Path.Join(folder, "libcudnn.so.9"), tried, failures);
    }

    // libnvrtc opens libnvrtc-builtins.so.MAJOR.MINOR by soname when it compiles, and fails the compile when the loader
    // cannot find it; loaded first from the same folder, it is found even off the loader's path.
    private static nint LoadNvrtc(List<string> tried, List<string> failures) =>
        LoadNewest("libnvrtc", (folder, major) => folder == ""
            ? null
            : Directory.EnumerateFiles(folder, $"libnvrtc-builtins.so.{major}.*").MinBy(path => path.Length), tried, failures);

    /// <summary><paramref name="library"/>.so.13, else .so.12, from the first folder that has it ("" for the loader's
    /// own search), after the companion library that it opens by soname from that folder (none where
    /// <paramref name="companion"/> gives null).</summary>
    private static nint LoadNewest(string library, Func<string, int, string?> companion, List<string> tried, List<string> failures)
    {
        foreach (var major in new[] { 13, 12 })
        {
            var folder = FindFolderOf($"{library}.so.{major}", tried);
            if (folder is null) continue;
            if (companion(folder, major) is { } first) TryLoad(first, tried, failures);
            var handle = TryLoad(Path.Join(folder, $"{library}.so.{major}"), tried, failures);
            if (handle != 0) return handle;
        }
        return 0;
    }

    private static nint LoadFirst(string[] fileNames, List<string> tried, List<string> failures)
    {
        foreach (var fileName in fileNames)
        {
            var folder = FindFolderOf(fileName, tried);
            if (folder is null) continue;
            var handle = TryLoad(Path.Join(folder, fileName), tried, failures);
            if (handle != 0) return handle;
        }
        return 0;
    }

    /// <summary>The folder that holds <paramref name="fileName"/>, or "" when the system loader finds it by name
    /// alone, or null.</summary>
    private static string? FindFolderOf(string fileName, List<string> tried)
    {
        foreach (var folder in OverrideFolders())
        {
            var path = Path.Join(folder, fileName);
            tried.Add(path);
            if (File.Exists(path)) return folder;
        }
        tried.Add($"{fileName} (system loader)");
        if (NativeLibrary.TryLoad(fileName, out var handle))
        {
            NativeLibrary.Free(handle);
            return "";
        }
        foreach (var folder in ToolkitFolders().Concat(WheelFolders.Value))
        {
            var path = Path.Join(folder, fileName);
            tried.Add(path);
            if (File.Exists(path)) return folder;
        }
        return null;
    }

    /// <summary>The library's handle, or 0 with the loader's reason added to <paramref name="failures"/> (a file that is
    /// there but is no library for this machine, or misses a dependency).</summary>
    private static nint TryLoad(string path, List<string> tried, List<string> failures)
    {
        try
        {
            return NativeLibrary.Load(path);
        }
        catch (Exception e) when (e is DllNotFoundException or BadImageFormatException)
        {
            if (!tried.Contains(path)) tried.Add(path);
            failures.Add(e.Message.ReplaceLineEndings(" "));
            return 0;
        }
    }

    internal static IEnumerable<string> OverrideFolders() =>
        (Environment.GetEnvironmentVariable(OverrideVariable) ?? "").Split(':', StringSplitOptions.RemoveEmptyEntries);

    private static IEnumerable<string> ToolkitFolders() =>
        ["/usr/local/cuda/lib64", "/usr/local/cuda/targets/x86_64-linux/lib", "/usr/lib/x86_64-linux-gnu", "/usr/lib/wsl/lib"];

    /// <summary>lib folders of NVIDIA's wheels (nvidia-cublas-cu12, nvidia-cudnn-cu12, the cu13 bundle, ...)
    /// under every site-packages folder found on disk or named by python3.</summary>
    internal static IEnumerable<string> PythonWheelFolders()
    {
        var sites = new List<string>();
        var home = Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        foreach (var prefix in new[] { "/usr/lib", "/usr/local/lib", Path.Join(home, ".local/lib"), "/opt/conda/lib",
                     Path.Join(Environment.GetEnvironmentVariable("VIRTUAL_ENV") ?? "/nonexistent", "lib"),
                     Path.Join(Environment.GetEnvironmentVariable("CONDA_PREFIX") ?? "/nonexistent", "lib") })
        {
            if (!Directory.Exists(prefix)) continue;
            foreach (var python in Directory.EnumerateDirectories(prefix, "python3*"))
                sites.AddRange(new[] { "site-packages", "dist-packages" }.Select(s => Path.Join(python, s)).Where(Directory.Exists));
        }
        sites.AddRange(PythonSiteFolders());
        foreach (var site in sites.Distinct())
        {
            var nvidia = Path.Join(site, "nvidia");
            if (!Directory.Exists(nvidia)) continue;
            foreach (var package in Directory.EnumerateDirectories(nvidia).Order())
            {
                var lib = Path.Join(package, "lib");
                if (Directory.Exists(lib)) yield return lib;
            }
        }
    }

    /// <summary>What python3's site module reports, for interpreters installed in places not listed above.</summary>
    private static IEnumerable<string> PythonSiteFolders()
    {
        try
        {
            using var process = Process.Start(new ProcessStartInfo("python3", ["-c", "import site; print('\\n'.join(site.getsitepackages() + [site.getusersitepackages()]))"])
            {
                RedirectStandardOutput = true,
                RedirectStandardError = true,
                UseShellExecute = false,
            });
            if (process is null) return [];
            var output = process.StandardOutput.ReadToEndAsync();
            if (!process.WaitForExit(5000))
            {
                process.Kill();
                return [];
            }
            if (process.ExitCode != 0) return [];
            return output.Result.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).Where(Directory.Exists).ToArray();
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return [];
        }
    }
}

/// <summary>A CUDA library that is nowhere to be found: no NVIDIA driver or toolkit here, the usual state of a CPU-only
/// machine (unlike a library that is there and fails to load).</summary>
public sealed class CudaLibraryMissingException(string message) : DllNotFoundException(message);
