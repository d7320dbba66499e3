using System.Runtime.InteropServices;
using System.Text;
using System.Text.RegularExpressions;
using NativeMtl.Kernels.Cuda.Native;

namespace NativeMtl.Kernels.Cuda;

/// <summary>
/// Kernels of the user's own, launched by <c>CudaBackend.Launch</c> like the engine's: CUDA C compiled at run time by NVRTC, or PTX built elsewhere. CUDA C may
/// <c>#include "prelude.cuh"</c> (handed to NVRTC from this assembly) and follows its rules (kernels/README.md), so
/// that the same source also runs in the <see cref="HostEmulator"/>. Its PTX is compiled once per compute capability
/// and kept in the kernel cache folder ($NATIVEMTL_KERNEL_CACHE, else $XDG_CACHE_HOME/nativemtl/kernels, else
/// ~/.cache/nativemtl/kernels) under a name that hashes the source, the options, the architecture, NVRTC's version
/// and the prelude, so a later process loads it without compiling.
/// </summary>
public sealed unsafe partial class RuntimeModule
{
    private static readonly Lazy<string> Prelude = new(() =>
    {
        using var reader = new StreamReader(typeof(RuntimeModule).Assembly.GetManifestResourceStream(PreludeResource)!);
        return reader.ReadToEnd();
    });

    private const string PreludeResource = "NativeMtl.Kernels.prelude.cuh";

    private readonly string? _ptx;
    private readonly string[] _options;
    private readonly Lock _gate = new();
    private readonly Dictionary<(int Major, int Minor), string> _compiled = [];

    private RuntimeModule(string name, string? source, string? ptx, string[] options)
    {
        if (!NamePattern().IsMatch(name))
            throw new ArgumentException($"runtime module name '{name}' must be letters, digits, '_', '-' and '.' only: it names the module's cache files", nameof(name));
        Name = name;
        Source = source;
        _ptx = ptx;
        _options = options;
    }

    [GeneratedRegex(@"^[A-Za-z0-9_.-]+$")]
    private static partial Regex NamePattern();

    /// <summary>A module of CUDA C, compiled by NVRTC on first use with <c>--gpu-architecture=compute_XY</c> of the
    /// device and <paramref name="compileOptions"/> (NVRTC's, e.g. <c>-DTILE=64</c>; the host emulator takes the
    /// <c>-D</c>, <c>-U</c> and <c>-I</c> ones).</summary>
    public static RuntimeModule FromCudaSource(string name, string source, params string[] compileOptions) =>
        new(name, source, null, [.. compileOptions]);

    /// <summary>A module of PTX, handed to the driver as it is (it cannot run in the host emulator).</summary>
    public static RuntimeModule FromPtx(string name, string ptx) => new(name, null, ptx, []);

    /// <summary>Names the module in errors and its cache files.</summary>
    public string Name { get; }

    /// <summary>The CUDA C, or null for a module of PTX.</summary>
    public string? Source { get; }

    public IReadOnlyList<string> CompileOptions => _options;

    /// <summary>The PTX for a device of compute capability <paramref name="major"/>.<paramref name="minor"/>: a PTX
    /// module's own; for CUDA C, read from the kernel cache or compiled by NVRTC (whose log a compile error carries).</summary>
    public string Ptx(int major, int minor)
    {
        if (_ptx is not null) return _ptx;
        lock (_gate)
        {
            if (!_compiled.TryGetValue((major, minor), out var ptx))
                _compiled[(major, minor)] = ptx = LoadOrCompile(major, minor);
            return ptx;
        }
    }

    /// <summary>The cache file of a module's PTX: a hash of everything the PTX depends on, so any change compiles anew.</summary>
    internal static string CacheFile(string folder, string name, string source, IReadOnlyList<string> options, int major, int minor, string nvrtcVersion) =>
        Path.Join(folder, KernelCache.FileName(name, "ptx", [source, Architecture(major, minor), nvrtcVersion, Prelude.Value, .. options]));

    private static string Architecture(int major, int minor) => $"compute_{major}{minor}";

    private string LoadOrCompile(int major, int minor)
    {
        CudaLibraries.Require("nvrtc");
        Nvrtc.Check(Nvrtc.nvrtcVersion(out int nvrtcMajor, out int nvrtcMinor), "nvrtcVersion");
        var file = CacheFile(KernelCache.Folder(), Name, Source!, _options, major, minor, $"{nvrtcMajor}.{nvrtcMinor}");
        if (File.Exists(file)) return File.ReadAllText(file);
        var ptx = Compile(Architecture(major, minor));
        KernelCache.Publish(file, temporary => File.WriteAllText(temporary, ptx));
        return ptx;
    }

    private string Compile(string architecture)
    {
        string[] options = [$"--gpu-architecture={architecture}", .. _options];
        // Source, program name, the one header and its include name, then the options: NVRTC takes the header and
        // name arrays (of one each) and the options as pointers into this one array.
        var strings = new[] { Source!, $"{Name}.cu", Prelude.Value, "prelude.cuh" }.Concat(options).Select(Marshal.StringToCoTaskMemUTF8).ToArray();
        var context = $"runtime module '{Name}' for {architecture}";
        try
        {
            fixed (nint* pointers = strings)
            {
                var text = (byte**)pointers;
                Nvrtc.Check(Nvrtc.nvrtcCreateProgram(out nint program, text[0], text[1], 1, text + 2, text + 3), "nvrtcCreateProgram", context);
                try
                {
                    int result = Nvrtc.nvrtcCompileProgram(program, options.Length, text + 4);
                    if (result != Nvrtc.Success)
                        throw new CudaException(result, "nvrtcCompileProgram", context, $"{Nvrtc.Describe(result)}; NVRTC log: {Log(program)}");
                    Nvrtc.Check(Nvrtc.nvrtcGetPTXSize(program, out nuint size), "nvrtcGetPTXSize", context);
                    var ptx = new byte[size];
                    fixed (byte* p = ptx) Nvrtc.Check(Nvrtc.nvrtcGetPTX(program, p), "nvrtcGetPTX", context);
                    return Encoding.UTF8.GetString(ptx).TrimEnd('\0');
                }
                finally
                {
                    Nvrtc.nvrtcDestroyProgram(ref program);
                }
            }
        }
        finally
        {
            foreach (var s in strings) Marshal.FreeCoTaskMem(s);
        }
    }

    private static string Log(nint program)
    {
        if (Nvrtc.nvrtcGetProgramLogSize(program, out nuint size) != Nvrtc.Success || size <= 1) return "(empty)";
        var log = new byte[size];
        fixed (byte* p = log)
            if (Nvrtc.nvrtcGetProgramLog(program, p) != Nvrtc.Success) return "(unreadable)";
        return Encoding.UTF8.GetString(log).TrimEnd('\0').Trim().ReplaceLineEndings(" | ");
    }
}
