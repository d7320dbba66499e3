using System.Runtime.InteropServices;
using NativeMtl.Kernels.Cuda.Emulation;

namespace NativeMtl.Kernels.Cuda;

/// <summary>
/// The CUDA backend without a GPU, for testing kernels anywhere: the engine's kernels (kernels/*.cu) and the CUDA C of
/// the user's <see cref="RuntimeModule"/>s, built by g++ into one host library that runs each launch on the CPU as a
/// GPU would (each CUDA thread of a block on a host thread of its own, with real barriers and warp shuffles; blocks
/// one after another, the last first; see kernels/emu/emu.cpp), on host memory. Its <see cref="Backend"/> is
/// registered as a device of its own, emulated:N, numbered in order of creation, so tensors and ops reach it as they
/// reach a GPU. The library is kept in the kernel cache folder under a hash of every source and option, so a later
/// run loads it without g++; it stays loaded for the rest of the process (its worker threads cannot be unloaded).
/// cuDNN and cuBLAS have no emulation: convolution, batch norm and GEMM throw here.
/// </summary>
public sealed class HostEmulator
{
    private static readonly Lock Gate = new();

    /// <summary>The backends of every emulator of the process, by index; replaced, never changed, so that
    /// <see cref="Backends.For"/> may read it without the lock.</summary>
    private static CudaBackend[] _devices = [];

    private readonly EmulatorLauncher _launcher;

    /// <param name="modules">Runtime modules of CUDA C whose kernels this emulator runs; a module reaches them by its
    /// name, so the same module object, or one of the same name, launches here and on a GPU.</param>
    /// <param name="limits">Caps on grid sizes (the GPU's by default); tiny ones make every grid-stride loop wrap.</param>
    /// <param name="kernelsFolder">The engine's kernel sources: <see cref="DefaultKernelsFolder"/> unless given.</param>
    /// <param name="cacheFolder">Where the library is kept: the kernel cache folder unless given
    /// ($NATIVEMTL_KERNEL_CACHE, else $XDG_CACHE_HOME/nativemtl/kernels, else ~/.cache/nativemtl/kernels).</param>
    public HostEmulator(IEnumerable<RuntimeModule>? modules = null, LaunchLimits? limits = null, string? kernelsFolder = null, string? cacheFolder = null)
    {
        var built = Validate(modules ?? []);
        LibraryPath = EmulatorLibrary.Find(kernelsFolder ?? DefaultKernelsFolder, cacheFolder ?? KernelCache.Folder(), built);
        _launcher = new EmulatorLauncher(NativeLibrary.Load(LibraryPath), built.Select(m => m.Name).ToHashSet());
        Memory = new HostMemory();
        lock (Gate)
        {
            if (_devices.Length == 0) Backends.Register(DeviceKind.Emulated, Find);
            Backend = new CudaBackend(Memory, _launcher, Device.Emulated(_devices.Length), limits);
            Volatile.Write(ref _devices, [.. _devices, Backend]);
        }
    }

    /// <summary>Where NativeMtl.Kernels puts the kernels' sources: nativemtl-kernels/ beside the application.</summary>
    public static string DefaultKernelsFolder => Path.Join(AppContext.BaseDirectory, "nativemtl-kernels");

    /// <summary>The CUDA backend on this emulator, registered as <see cref="Device"/>.</summary>
    public CudaBackend Backend { get; }

    public Device Device => Backend.Device;

    /// <summary>The launcher of the emulated kernels, for a <see cref="CudaBackend"/> of other limits on the same
    /// memory.</summary>
    public IKernelLauncher Launcher => _launcher;

    /// <summary>The emulated device's memory: host memory, which the kernels address directly.</summary>
    public IDeviceMemory Memory { get; }

    /// <summary>Every kernel the library defines, the engine's and the modules', in ordinal order.</summary>
    public IReadOnlyList<string> KernelNames => _launcher.KernelNames;

    /// <summary>The library in the kernel cache.</summary>
    public string LibraryPath { get; }

    private static List<RuntimeModule> Validate(IEnumerable<RuntimeModule> modules)
    {
        var list = modules.ToList();
        foreach (var module in list.Where(m => m.Source is null))
            throw new ArgumentException($"runtime module '{module.Name}' is PTX; the host emulator builds modules from their CUDA C (RuntimeModule.FromCudaSource)", nameof(modules));
        foreach (var name in list.GroupBy(m => m.Name).Where(g => g.Count() > 1).Select(g => g.Key))
            throw new ArgumentException($"two runtime modules are named '{name}'; the host emulator tells modules apart by name", nameof(modules));
        return list;
    }

    private static IBackend Find(int index)
    {
        var devices = Volatile.Read(ref _devices);
        return index >= 0 && index < devices.Length ? devices[index]
            : throw new ArgumentOutOfRangeException(nameof(index), $"emulated:{index} does not exist: {devices.Length} host emulator(s) were created in this process");
    }
}
