using System.Text.RegularExpressions;
using NativeMtl.Kernels;
using NativeMtl.Kernels.Cuda;

namespace NativeMtl.Tests.Emulation;

public partial class KernelCatalogTests
{
    [GeneratedRegex(@"^\.visible \.entry (\w+)\(", RegexOptions.Multiline)]
    private static partial Regex EntryPattern();

    [Fact]
    public void EveryKernelFamilyIsEmbeddedAsPtx()
    {
        string[] families = ["class_sum", "copy_fill", "deform_conv", "elementwise", "grad_geometry", "graddrop", "masked_l1", "nll", "optim", "pool", "random", "reduce", "softmax", "upsample"];
        Assert.Equal(families, CudaLauncher.EmbeddedPtx().Keys.ToArray());
    }

    [Fact]
    public void TheEmulatorRegistersExactlyTheKernelsThePtxDefines()
    {
        var ptxEntries = CudaLauncher.EmbeddedPtx().Values.SelectMany(ptx => EntryPattern().Matches(ptx).Select(m => m.Groups[1].Value)).Order(StringComparer.Ordinal);
        Assert.Equal(ptxEntries, Emulated.Emulator.KernelNames.Order(StringComparer.Ordinal));
    }

    /// <summary>The launcher asks only a kernel's own module for it: asking the others first made the driver
    /// return "named symbol not found" errors that compute-sanitizer counted (100 of them on an H100).</summary>
    [Fact]
    public void EveryKernelMapsToTheOneModuleThatDefinesIt()
    {
        var families = CudaLauncher.KernelFamilies();
        Assert.Equal("grad_geometry", families["gram_partial_f32"]);
        Assert.Equal("nll", families["nll_backward_f64"]);
        Assert.Equal(Emulated.Emulator.KernelNames.Order(StringComparer.Ordinal), families.Keys.Order(StringComparer.Ordinal));
        // Each kernel the emulator knows (compiled from the sources, not read from the PTX) is defined by exactly one
        // module of all, and that module is the family the launcher will ask.
        foreach (var kernel in Emulated.Emulator.KernelNames)
        {
            var module = Assert.Single(CudaLauncher.EmbeddedPtx(), m => EntryPattern().Matches(m.Value).Any(e => e.Groups[1].Value == kernel));
            Assert.Equal(module.Key, families[kernel]);
        }
    }

    [Fact]
    public void EmbeddedPtxTargetsSm80WithPtx70AndCallsNoExternalFunction()
    {
        foreach (var (family, ptx) in CudaLauncher.EmbeddedPtx())
        {
            Assert.Contains(".version 7.0", ptx);
            Assert.Contains(".target sm_80", ptx);
            Assert.False(ptx.Contains(".extern .func"), $"{family}.ptx calls an external function");
            Assert.False(ptx.Contains("sm_90a"), $"{family}.ptx targets sm_90a");
        }
    }

    [Fact]
    public void TensorDescriptorsTravelAs136ByteParametersAligned8()
    {
        Assert.Equal(136, System.Runtime.CompilerServices.Unsafe.SizeOf<KernelTensor>());
        Assert.Contains(".param .align 8 .b8 unary_f32_param_3[136]", CudaLauncher.EmbeddedPtx()["elementwise"]);
        Assert.Contains(".param .align 4 .b8 max_pool_forward_f32_param_5[28]", CudaLauncher.EmbeddedPtx()["pool"]);
        Assert.Equal(28, System.Runtime.CompilerServices.Unsafe.SizeOf<KernelPoolWindow>());
    }

    [Fact]
    public void LaunchingAKernelTheEmulatorLacksNamesTheKernelAndTheOp()
    {
        var error = Assert.Throws<InvalidOperationException>(() =>
            Emulated.Launcher.Launch("no_such_kernel", new LaunchShape(1, 32), [], "Probe", []));
        Assert.Contains("no_such_kernel", error.Message);
        Assert.Contains("Probe", error.Message);
    }

    [Fact]
    public void CuDnnAndCuBlasOpsOnTheEmulatedBackendSayTheyNeedAGpu()
    {
        using var x = Twin.Random(DType.Float32, 16, 1);
        var t = x.On(Emulated.Backend, [1, 1, 4, 4]);
        var w = x.On(Emulated.Backend, [1, 1, 1, 1]);
        var conv = Assert.Throws<NotSupportedException>(() => Emulated.Backend.Conv2dForward(t, w, null, t, new Conv2dGeometry()));
        Assert.Contains("Conv2dForward runs on cuDNN", conv.Message);
        var m = x.On(Emulated.Backend, [1, 4, 4]);
        var gemm = Assert.Throws<NotSupportedException>(() => Emulated.Backend.Gemm(m, m, m, 1, 0));
        Assert.Contains("Gemm runs on cuBLAS", gemm.Message);
    }
}
