using System.Runtime.InteropServices;
using System.Text;

namespace NativeMtl.Kernels.Cuda.Emulation;

/// <summary>Launches kernels in an emulator library (kernels/emu/emu.cpp built with the kernels, see
/// <see cref="EmulatorLibrary"/>) through its emu_launch, with the kernelParams array the backend built for
/// cuLaunchKernel. Engine and runtime-module kernels alike are found by name in the library's one registry.</summary>
internal sealed unsafe class EmulatorLauncher : IKernelLauncher
{
    private readonly delegate* unmanaged<byte*, uint, uint, uint, uint, uint, uint, nint*, int> _launch;
    private readonly IReadOnlySet<string> _modules;

    /// <param name="modules">The names of the runtime modules built into the library.</param>
    public EmulatorLauncher(nint library, IReadOnlySet<string> modules)
    {
        _launch = (delegate* unmanaged<byte*, uint, uint, uint, uint, uint, uint, nint*, int>)NativeLibrary.GetExport(library, "emu_launch");
        var count = (delegate* unmanaged<int>)NativeLibrary.GetExport(library, "emu_kernel_count");
        var name = (delegate* unmanaged<int, nint>)NativeLibrary.GetExport(library, "emu_kernel_name");
        var names = new string[count()];
        for (int i = 0; i < names.Length; i++) names[i] = Marshal.PtrToStringUTF8(name(i))!;
        KernelNames = names;
        _modules = modules;
    }

    /// <summary>Every kernel the library registered (by NMTL_EXPORT), in ordinal order.</summary>
    public IReadOnlyList<string> KernelNames { get; }

    public void Launch(string kernel, LaunchShape shape, ReadOnlySpan<nint> args, string op, ReadOnlySpan<TensorRef> operands) =>
        Run(kernel, shape, args, op, "the emulator");

    public void Launch(RuntimeModule module, string kernel, LaunchShape shape, ReadOnlySpan<nint> args, string op, ReadOnlySpan<TensorRef> operands)
    {
        if (!_modules.Contains(module.Name))
            throw new InvalidOperationException($"{op}: runtime module '{module.Name}' is not built into this host emulator " +
                $"({(_modules.Count == 0 ? "it has none" : $"it has {string.Join(", ", _modules.Order(StringComparer.Ordinal))}")}); pass the module to the HostEmulator");
        Run(kernel, shape, args, op, $"runtime module '{module.Name}'");
    }

    /// <param name="owner">What should have defined the kernel, for the error when it is missing.</param>
    private void Run(string kernel, LaunchShape shape, ReadOnlySpan<nint> args, string op, string owner)
    {
        Span<byte> name = stackalloc byte[Encoding.UTF8.GetByteCount(kernel) + 1];
        name[Encoding.UTF8.GetBytes(kernel, name)] = 0;
        int result;
        fixed (byte* n = name)
        fixed (nint* p = args)
            result = _launch(n, shape.GridX, shape.GridY, shape.GridZ, shape.BlockX, shape.BlockY, shape.BlockZ, p);
        if (result == 1) throw new InvalidOperationException($"{op}: {owner} has no kernel '{kernel}' (a kernel is registered by NMTL_EXPORT)");
        if (result == 2) throw new InvalidOperationException($"{op}: {kernel} launched with a block of {shape.Threads} threads (1 to 1024 allowed)");
        if (result == 3) throw new InvalidOperationException($"{op}: {kernel} launched with an empty grid ({shape.GridX}×{shape.GridY}×{shape.GridZ} blocks)");
    }
}
