using NativeMtl.Kernels;
using NativeMtl.Kernels.Cuda;
using NativeMtl.Raw;

namespace NativeMtl.Tests.Cuda;

/// <summary>Tests that need a real GPU (the driver, cuBLAS and cuDNN): each skips with the reason when CUDA is
/// unusable here. The custom kernels are covered without a GPU under Emulation/.</summary>
public class CudaDeviceTests
{
    private static CudaBackend Gpu()
    {
        Skip.IfNot(CudaRuntime.TryRegister(out string whyNot), $"no usable CUDA device: {whyNot}");
        return (CudaBackend)Backends.For(Device.Cuda());
    }

    [SkippableFact]
    public void EveryEmbeddedPtxModuleJitCompilesAndEveryKernelResolves()
    {
        var gpu = Gpu();
        Assert.Equal(67, new CudaLauncher(gpu.Gpu!).LoadAll().Count);
    }

    [SkippableFact]
    public void AFillOnTheGpuReadsBack()
    {
        Gpu();
        using var y = Tensors.Full(new Shape(5), 2, device: Device.Cuda());
        Assert.Equal([2f, 2, 2, 2, 2], y.ToArray<float>());
    }

    [SkippableFact]
    public void ConvolutionBatchNormAndMatmulMatchTheCpu()
    {
        Gpu();
        var rows = Host.Check.OpParity.Compare(Device.Cuda());
        Assert.All(rows, r => Assert.True(r.Ok, $"{r.Op} {r.Pass}: {r.Error} {r.Failure}"));
    }

    [SkippableFact]
    public void TwentyTrainingStepsMatchTheCpu()
    {
        Gpu();
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(new StringWriter()) });
        Assert.True(Host.Check.TrainingParity.Run(Device.Cuda(), console));
    }

    [SkippableFact]
    public void OutOfMemoryNamesTheBytesAskedAndTheBytesFree()
    {
        var gpu = Gpu();
        var error = Assert.Throws<CudaException>(() => gpu.Allocate(1L << 50));
        Assert.Contains("asked for 1125899906842624 bytes", error.Message);
        Assert.Contains("bytes free", error.Message);
    }

    [SkippableFact]
    public void WorkQueuedFromAThreadPoolThreadRunsInThePrimaryContext()
    {
        Gpu();
        var values = Task.Run(() =>
        {
            using var x = Tensors.Arange(0, 8, device: Device.Cuda());
            using var y = Ops.MulAdd(x, 2, 1);
            return y.ToArray<float>();
        }).Result;
        Assert.Equal([1f, 3, 5, 7, 9, 11, 13, 15], values);
    }
}
