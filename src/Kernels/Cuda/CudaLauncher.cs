using System.Collections.Concurrent;
using System.Text;
using NativeMtl.Kernels.Cuda.Native;

namespace NativeMtl.Kernels.Cuda;

/// <summary>
/// Launches the kernels of kernels/*.cu on a GPU. Their PTX (kernels/ptx/*.ptx) is embedded in this assembly;
/// each family's module is JIT-compiled by the driver on first use (cuModuleLoadDataEx, with the JIT's error log
/// in the exception when it fails), and functions are looked up by name once and cached. A user's
/// <see cref="RuntimeModule"/> goes the same way, with its PTX for this device's compute capability.
/// </summary>
public sealed unsafe class CudaLauncher : IKernelLauncher
{
    private const string ResourcePrefix = "NativeMtl.Kernels.Ptx.";
    private const int LogBytes = 16 << 10;

    private readonly CudaDevice _device;
    private readonly Lock _gate = new();
    /// <summary>Loaded modules by key: a family's name, or a <see cref="RuntimeModule"/> itself (by reference, so that
    /// two modules of one name never share a load).</summary>
    private readonly Dictionary<object, nint> _modules = [];
    private readonly ConcurrentDictionary<(object Module, string Kernel), nint> _functions = new();

    public CudaLauncher(CudaDevice device)
    {
        _device = device;
    }

    /// <summary>The embedded PTX of each kernel family, by family name (the .cu file's name).</summary>
    public static IReadOnlyDictionary<string, string> EmbeddedPtx()
    {
        var assembly = typeof(CudaLauncher).Assembly;
        var result = new SortedDictionary<string, string>();
        foreach (var name in assembly.GetManifestResourceNames().Where(n => n.StartsWith(ResourcePrefix, StringComparison.Ordinal)))
        {
            using var reader = new StreamReader(assembly.GetManifestResourceStream(name)!);
            result[name[ResourcePrefix.Length..^".ptx".Length]] = reader.ReadToEnd();
        }
        return result;
    }

    /// <summary>The family (PTX module) that defines each kernel, read from the modules' <c>.entry</c> lines, so a
    /// kernel is looked up only in its own module (a miss elsewhere would be a driver error that compute-sanitizer
    /// reports).</summary>
    public static IReadOnlyDictionary<string, string> KernelFamilies() =>
        EmbeddedPtx()
            .SelectMany(module => module.Value.Split('\n')
                .Where(l => l.StartsWith(EntryPrefix, StringComparison.Ordinal))
                .Select(l => (Kernel: l[EntryPrefix.Length..l.IndexOf('(')], Family: module.Key)))
            .ToDictionary(e => e.Kernel, e => e.Family);

    private const string EntryPrefix = ".visible .entry ";

    /// <summary>JIT-compiles every module and resolves every kernel it defines, so that a bad module or a missing
    /// kernel shows at start-up rather than at first use. Returns the kernel names.</summary>
    public IReadOnlyList<string> LoadAll()
    {
        var names = KernelFamilies().Keys.ToList();
        _device.Enter();
        foreach (var name in names) Function(Family(name), name);
        return names;
    }

    public void Launch(string kernel, LaunchShape shape, ReadOnlySpan<nint> args, string op, ReadOnlySpan<TensorRef> operands)
    {
        _device.Enter();
        Launch(Function(Family(kernel), kernel), kernel, shape, args, op, operands);
    }

    public void Launch(RuntimeModule module, string kernel, LaunchShape shape, ReadOnlySpan<nint> args, string op, ReadOnlySpan<TensorRef> operands)
    {
        _device.Enter();
        Launch(Function(module, kernel), kernel, shape, args, op, operands);
    }

    private void Launch(nint function, string kernel, LaunchShape shape, ReadOnlySpan<nint> args, string op, ReadOnlySpan<TensorRef> operands)
    {
        fixed (nint* parameters = args)
        {
            int result = Driver.cuLaunchKernel(function, shape.GridX, shape.GridY, shape.GridZ, shape.BlockX, shape.BlockY, shape.BlockZ,
                0, _device.Stream, (void**)parameters, null);
            if (result != Driver.Success)
                Driver.Check(result, $"cuLaunchKernel({kernel}, grid {shape.GridX}×{shape.GridY}×{shape.GridZ}, block {shape.BlockX}×{shape.BlockY}×{shape.BlockZ})",
                    $"{op} on {string.Join(", ", operands.ToArray())}");
        }
    }

    private static string Family(string kernel) => Families.Value.TryGetValue(kernel, out var family) ? family
        : throw new InvalidOperationException($"kernel '{kernel}' is in none of the embedded PTX modules ({string.Join(", ", EmbeddedPtx().Keys)})");

    /// <summary>The kernel's function in <paramref name="module"/> (a family's name or a <see cref="RuntimeModule"/>).</summary>
    private nint Function(object module, string kernel) =>
        _functions.TryGetValue((module, kernel), out var cached) ? cached : Load(module, kernel);

    /// <summary>Looks the kernel up, loading its module on first use.</summary>
    private nint Load(object module, string kernel)
    {
        string name = module is RuntimeModule runtime ? $"runtime module '{runtime.Name}'" : $"kernels/ptx/{module}.ptx";
        lock (_gate)
        {
            if (!_modules.TryGetValue(module, out var handle))
                _modules[module] = handle = LoadModule(name, Ptx(module));
            Driver.Check(Driver.cuModuleGetFunction(out nint function, handle, kernel), $"cuModuleGetFunction({kernel})", $"kernel '{kernel}' of {name}");
            _functions[(module, kernel)] = function;
            return function;
        }
    }

    /// <summary>A runtime module's PTX for this device, or a family's embedded PTX.</summary>
    private string Ptx(object module) => module is RuntimeModule runtime
        ? runtime.Ptx(_device.ComputeCapability.Major, _device.ComputeCapability.Minor)
        : EmbeddedPtx()[(string)module];

    private static readonly Lazy<IReadOnlyDictionary<string, string>> Families = new(KernelFamilies);

    /// <param name="name">Names the module in the error when the JIT fails.</param>
    private static nint LoadModule(string name, string ptx)
    {
        // The driver reads the image as a C string: it must end with a NUL byte.
        var image = Encoding.ASCII.GetBytes(ptx + "\0");
        var errorLog = new byte[LogBytes];
        var infoLog = new byte[LogBytes];
        fixed (byte* pImage = image, pError = errorLog, pInfo = infoLog)
        {
            int* options = stackalloc int[] { Driver.JitErrorLogBuffer, Driver.JitErrorLogBufferSizeBytes, Driver.JitInfoLogBuffer, Driver.JitInfoLogBufferSizeBytes };
            void** values = stackalloc void*[] { pError, (void*)LogBytes, pInfo, (void*)LogBytes };
            int result = Driver.cuModuleLoadDataEx(out nint module, pImage, 4, options, values);
            if (result != Driver.Success)
            {
                var log = Encoding.UTF8.GetString(errorLog).TrimEnd('\0').Trim();
                throw new CudaException(result, "cuModuleLoadDataEx", $"JIT of {name}",
                    $"{Driver.Describe(result)}; JIT log: {(log.Length > 0 ? log.ReplaceLineEndings(" | ") : "(empty)")}");
            }
            return module;
        }
    }
}
