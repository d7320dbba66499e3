using NativeMtl.Kernels;
using NativeMtl.Kernels.Cuda;
using NativeMtl.Tests.Cuda;

namespace NativeMtl.Tests.Emulation;

/// <summary>Kernels of a user's own, run in a host emulator as a user's project would run them: a
/// <see cref="RuntimeModule"/> of CUDA C, launched through <see cref="CudaBackend.Launch(RuntimeModule, string, LaunchShape, in KernelArgs, string, ReadOnlySpan{TensorRef})"/>.</summary>
public class HostEmulatorTests
{
    private static readonly RuntimeModule ScaleAdd = RuntimeModule.FromCudaSource("scale_add", ScaleAddKernel.Source);

    /// <summary>Writes VALUE, which only the module's compile options define.</summary>
    private static readonly RuntimeModule Defined = RuntimeModule.FromCudaSource("defined", """
        #include "prelude.cuh"

        NMTL_KERNEL fill_value_f32(i64 n, float* y)
        {
            NMTL_GRID_STRIDE(i, n) y[i] = VALUE;
        }
        NMTL_EXPORT(fill_value_f32)
        """, "-DVALUE=2.5f", "--use_fast_math");

    private static readonly Lazy<HostEmulator> User = new(() => Emulated.With(ScaleAdd, Defined));

    /// <summary>1000 elements: with the GPU's limits three blocks of 256 threads and a partial fourth; capped at two
    /// blocks, the grid-stride loop goes round twice.</summary>
    [Theory]
    [InlineData(8192, 4)]
    [InlineData(2, 2)]
    public void AUserKernelRunsInTheHostEmulatorLikeTheCpu(long maxGrid, uint blocks)
    {
        var user = User.Value;
        var backend = new CudaBackend(user.Memory, user.Launcher, user.Device, new LaunchLimits(maxGrid, maxGrid));
        Assert.Equal(new LaunchShape(blocks, 256), backend.PerElementShape(1000));
        Assert.Equal(ScaleAddKernel.OnTheCpu(1000), ScaleAddKernel.Run(backend, ScaleAdd, 1000));
    }

    [Fact]
    public void TheMacrosOfAModulesCompileOptionsReachTheEmulator()
    {
        var backend = User.Value.Backend;
        using var y = Tensors.Zeros(new Shape(300), device: backend.Device);
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add(300L);
        args.Add(backend.DeviceAddress(y.Ref, "Fill"));
        backend.Launch(Defined, "fill_value_f32", backend.PerElementShape(300), args, "Fill", y.Ref);
        Assert.All(y.ToArray<float>(), v => Assert.Equal(2.5f, v));
    }

    [Fact]
    public void EachEmulatorIsADeviceOfItsOwnAfterTheSuites()
    {
        Assert.Equal(Device.Emulated(0), Emulated.Device);
        Assert.Equal(DeviceKind.Emulated, User.Value.Device.Kind);
        Assert.NotEqual(Emulated.Device, User.Value.Device);
        Assert.Same(User.Value.Backend, Backends.For(User.Value.Device));
        var error = Assert.Throws<ArgumentOutOfRangeException>(() => Backends.For(Device.Emulated(999)));
        Assert.StartsWith("emulated:999 does not exist: ", error.Message);
    }

    [Fact]
    public void TheSameSourcesLoadTheCachedLibraryWithoutBuildingItAgain()
    {
        var written = File.GetLastWriteTimeUtc(User.Value.LibraryPath);
        var again = Emulated.With(ScaleAdd, Defined);
        Assert.Equal(User.Value.LibraryPath, again.LibraryPath);
        Assert.Equal(written, File.GetLastWriteTimeUtc(again.LibraryPath));
        Assert.Equal(User.Value.KernelNames, again.KernelNames);
        Assert.Contains("scale_add_f32", again.KernelNames);
    }

    [Fact]
    public void AModuleTheEmulatorWasNotBuiltWithIsNamedInTheError()
    {
        var error = Assert.Throws<InvalidOperationException>(() => Emulated.Launcher.Launch(ScaleAdd, "scale_add_f32", new LaunchShape(1, 32), [], "Probe", []));
        Assert.Equal("Probe: runtime module 'scale_add' is not built into this host emulator (it has none); pass the module to the HostEmulator", error.Message);
    }

    [Fact]
    public void AKernelTheModuleLacksIsNamedWithTheModule()
    {
        var error = Assert.Throws<InvalidOperationException>(() => User.Value.Launcher.Launch(ScaleAdd, "scale_sub_f32", new LaunchShape(1, 32), [], "Probe", []));
        Assert.Equal("Probe: runtime module 'scale_add' has no kernel 'scale_sub_f32' (a kernel is registered by NMTL_EXPORT)", error.Message);
    }

    [Fact]
    public void ACompileErrorNamesTheModuleAndCarriesTheCompilersOutput()
    {
        var broken = RuntimeModule.FromCudaSource("broken", "#include \"prelude.cuh\"\nNMTL_KERNEL broken(i64 n) { undeclared_name = n; }\nNMTL_EXPORT(broken)\n");
        var error = Assert.Throws<InvalidOperationException>(() => Emulated.With(broken));
        Assert.StartsWith("g++ failed to build runtime module 'broken' for the host emulator: ", error.Message);
        Assert.Contains("broken.cu:2:", error.Message);
        Assert.Contains("'undeclared_name' was not declared", error.Message);
        Assert.DoesNotContain('\n', error.Message);
    }

    [Fact]
    public void MissingKernelSourcesAreNamedWithTheFolder()
    {
        var error = Assert.Throws<DirectoryNotFoundException>(() => new HostEmulator(kernelsFolder: "/nonexistent/kernels"));
        Assert.StartsWith("the kernels' sources are not in /nonexistent/kernels (emu/emu.cpp is missing)", error.Message);
    }

    [Fact]
    public void APtxModuleIsRefusedForItHasNoSourceToBuild()
    {
        var error = Assert.Throws<ArgumentException>(() => new HostEmulator([RuntimeModule.FromPtx("handwritten", ".version 7.0\n")]));
        Assert.StartsWith("runtime module 'handwritten' is PTX; the host emulator builds modules from their CUDA C", error.Message);
    }

    [Fact]
    public void TwoModulesOfOneNameAreRefused()
    {
        var error = Assert.Throws<ArgumentException>(() => new HostEmulator([ScaleAdd, RuntimeModule.FromCudaSource("scale_add", "")]));
        Assert.StartsWith("two runtime modules are named 'scale_add'", error.Message);
    }
}
