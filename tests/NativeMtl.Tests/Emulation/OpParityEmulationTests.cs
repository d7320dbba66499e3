using NativeMtl.Host.Check;
using NativeMtl.Kernels;
using NativeMtl.Kernels.Cuda;

namespace NativeMtl.Tests.Emulation;

/// <summary>The check command's op table with the emulated device in the GPU's place: the whole path of a real run
/// (F → autograd → Ops → CudaBackend → kernel), with every custom-kernel op compared to the CPU in CI.</summary>
public class OpParityEmulationTests
{
    private static readonly string[] VendorOps =
    [
        "BatchNorm2d (training)", "BatchNorm2d running statistics", "BatchNorm2d (inference)", "Matmul [B,M,K]·[K,N]",
        "Matmul aᵀ·bᵀ (transposed views)", "Conv2d 3×3 pad 1 + bias", "Conv2d groups 3, stride 2, dilation 2", "Conv2d 1×1",
        "DeformConv2d 3×3 pad 1 + bias",
    ];

    [Fact]
    public void TheEmulatedDeviceIsTheCudaBackendOnTheHostEmulator()
    {
        Assert.Same(Emulated.Backend, Backends.For(Emulated.Device));
        Assert.IsType<CudaBackend>(Backends.For(Device.Emulated()));
        Assert.Equal("emulated:0", Emulated.Device.ToString());
    }

    [Fact]
    public void EveryCustomKernelOpOfTheCheckAgreesWithTheCpuOnTheEmulatedDevice()
    {
        var rows = OpParity.Compare(Emulated.Device);
        var compared = rows.Where(r => r.Skipped is null).ToList();
        Assert.True(compared.Count >= 60, $"{compared.Count} rows compared");
        Assert.All(compared, r => Assert.True(r.Ok && r.Error is not null, $"{r.Op} {r.Pass}: {r.Error} {r.Failure}"));
        Assert.Contains(compared, r => r.Op == "GradientGram (K 3, P 300001)" && r.Pass == "forward");
        Assert.Contains(compared, r => r.Op == "CrossEntropy (ignore -100)" && r.Pass == "backward");
    }

    [Fact]
    public void OpsOnCudnnOrCublasAreListedAsSkippedOnTheEmulatedDeviceAndNoOthers()
    {
        var skipped = OpParity.Compare(Emulated.Device).Where(r => r.Skipped is not null).ToList();
        Assert.Equal(VendorOps, skipped.Select(r => r.Op));
        Assert.All(skipped, r => Assert.Matches("^runs on (cuDNN|cuBLAS), which has no host emulation$", r.Skipped));
    }

    [Fact]
    public void TheTableSaysWhichRowsWereSkippedAndWhy()
    {
        var output = new StringWriter();
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings
        {
            Out = new Spectre.Console.AnsiConsoleOutput(output),
            Ansi = Spectre.Console.AnsiSupport.No,
        });
        console.Profile.Width = 240;
        Assert.True(OpParity.Run(Emulated.Device, console));
        Assert.Contains("ops: CPU against emulated:0", output.ToString());
        Assert.Contains("skipped runs on cuDNN, which has no host emulation", output.ToString());
    }
}
