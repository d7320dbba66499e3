using NativeMtl.Host;
using NativeMtl.Host.Check;
using NativeMtl.Host.Commands;
using NativeMtl.Kernels;
using NativeMtl.Kernels.Cuda;

namespace NativeMtl.Tests.HostLayer;

public class CheckCommandTests
{
    [Fact]
    public void WithoutAUsableGpuCheckPrintsOneLineSayingWhyAndExitsWithNoDevice()
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        int code = CheckCommand.Run("cuda", output, error, (out string whyNot) =>
        {
            whyNot = "libcuda.so.1 (the NVIDIA driver) was not found";
            return false;
        });
        Assert.Equal(ExitCodes.NoDevice, code);
        Assert.Equal(3, code);
        Assert.Equal("nativemtl check: no usable CUDA device: libcuda.so.1 (the NVIDIA driver) was not found" + Environment.NewLine, error.ToString());
        Assert.Equal("", output.ToString());
    }

    [SkippableFact]
    public void OnAMachineWithoutCudaTheCommandLineSaysWhyInOneLineAndExitsWithThree()
    {
        Skip.If(CudaRuntime.TryRegister(out _), "CUDA is usable on this machine, so the no-GPU path does not apply");
        var (output, error) = (new StringWriter(), new StringWriter());
        int code = Cli.Run(["check", "--device", "cuda"], output, error);
        Assert.Equal(3, code);
        var lines = error.ToString().Split(Environment.NewLine, StringSplitOptions.RemoveEmptyEntries);
        Assert.Single(lines);
        Assert.StartsWith("nativemtl check: no usable CUDA device: ", lines[0]);
        Assert.Equal("", output.ToString());
    }

    [Theory]
    [InlineData("gpu")]
    [InlineData("cuda:-1")]
    [InlineData("cpu")]
    public void AnUnknownDeviceIsAUsageError(string device)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        Assert.Equal(ExitCodes.Usage, Cli.Run(["check", "--device", device], output, error));
        Assert.Equal($"nativemtl check: unknown device '{device}' (expected cuda or cuda:N)" + Environment.NewLine, error.ToString());
    }

    [Fact]
    public void AnUnknownOptionIsAUsageError()
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        Assert.Equal(ExitCodes.Usage, Cli.Run(["check", "--bogus"], output, error));
    }

    /// <summary>The check's op table, run with the CPU on both sides: every case builds, runs forward and
    /// backward, and compares to zero error, so on a GPU only the device can make a row fail.</summary>
    [Fact]
    public void EveryOpOfTheCheckAgreesExactlyWhenBothSidesAreTheCpu()
    {
        var rows = OpParity.Compare(Device.Cpu);
        Assert.True(rows.Count >= 60, $"{rows.Count} rows");
        Assert.All(rows, r => Assert.True(r.Ok && r.Error!.Value.MaxAbs == 0, $"{r.Op} {r.Pass}: {r.Error} {r.Failure}"));
        Assert.Contains(rows, r => r.Op == "Conv2d groups 3, stride 2, dilation 2" && r.Pass == "backward");
    }

    [Fact]
    public void TheCheckTrainingRunAgreesWhenBothSidesAreTheCpu()
    {
        var output = new StringWriter();
        var console = Spectre.Console.AnsiConsole.Create(new Spectre.Console.AnsiConsoleSettings { Out = new Spectre.Console.AnsiConsoleOutput(output) });
        Assert.True(TrainingParity.Run(Device.Cpu, console));
        Assert.Contains("final bn.running_var", output.ToString());
    }
}
