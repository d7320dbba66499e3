using System.Text.Json;
using NativeMtl.Host;
using NativeMtl.Host.Commands;

namespace NativeMtl.Tests.HostLayer;

public class BenchCommandTests
{
    [Fact]
    public void BenchTimesEqualAndTheChosenBalancersAndWritesTheirFiguresAsJson()
    {
        var json = Path.Combine(Path.GetTempPath(), $"bench-{Guid.NewGuid():N}.json");
        var output = new StringWriter();
        int code = BenchCommand.Run("cpu", "small", "lsb", warmup: 0, steps: 1, new FileInfo(json), kernels: false, output, new StringWriter());
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("lsb", output.ToString());
        using var document = JsonDocument.Parse(File.ReadAllText(json));
        var balancers = document.RootElement.GetProperty("balancers");
        Assert.Equal(["equal", "lsb"], balancers.EnumerateArray().Select(b => b.GetProperty("name").GetString()));
        Assert.Equal(1.0, balancers[0].GetProperty("ratio_to_equal").GetDouble());
        Assert.True(balancers[1].GetProperty("step_peak_mib").GetDouble() > 0);
        File.Delete(json);
    }

    [Fact]
    public void BenchTakesTheBatchAndImageSizeAndSplitsEachStepsMemory()
    {
        var json = Path.Combine(Path.GetTempPath(), $"bench-{Guid.NewGuid():N}.json");
        var output = new StringWriter();
        int code = BenchCommand.Run("cpu", "small", "auxilight", 0, 1, new FileInfo(json), false, output, new StringWriter(), size: (2, 32, 48));
        Assert.Equal(ExitCodes.Success, code);
        Assert.Contains("where the step peak goes", output.ToString());
        using var document = JsonDocument.Parse(File.ReadAllText(json));
        var model = document.RootElement.GetProperty("model");
        Assert.Equal((2, 32, 48), (model.GetProperty("batch").GetInt32(), model.GetProperty("height").GetInt32(), model.GetProperty("width").GetInt32()));
        foreach (var balancer in document.RootElement.GetProperty("balancers").EnumerateArray())
        {
            var atPeak = balancer.GetProperty("memory").GetProperty("at_peak");
            long parts = new[] { "saved_for_backward", "balancer_buffers", "transients", "parameters", "gradients", "optimizer_state", "data" }
                .Sum(name => atPeak.GetProperty(name).GetInt64());
            Assert.Equal(balancer.GetProperty("step_peak_bytes").GetInt64(), parts);
            Assert.Equal(atPeak.GetProperty("saved_for_backward").GetInt64(), atPeak.GetProperty("saved_by_op").EnumerateObject().Sum(op => op.Value.GetInt64()));
            Assert.True(balancer.GetProperty("saved_bytes").GetInt64() > 0);
        }
        File.Delete(json);
    }

    [Theory]
    [InlineData(0, 32, 48, "--batch must be at least 1 (got 0)")]
    [InlineData(2, -1, 48, "--height must be at least 1 (got -1)")]
    public void ASizeBelowOneIsOneLineAndAUsageError(int batch, int height, int width, string message)
    {
        var error = new StringWriter();
        Assert.Equal(ExitCodes.Usage, BenchCommand.Run("cpu", "small", null, 0, 1, null, false, new StringWriter(), error, size: (batch, height, width)));
        Assert.Equal($"nativemtl bench: {message}" + Environment.NewLine, error.ToString());
    }

    [Fact]
    public void AnUnknownBalancerIsOneLineAndAUsageError()
    {
        var error = new StringWriter();
        int code = BenchCommand.Run("cpu", "small", "equal,gradvaccine", 0, 1, null, false, new StringWriter(), error);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.StartsWith("nativemtl bench: unknown balancer 'gradvaccine' (known: aligned_mtl, autolambda,", error.ToString());
    }

    [Fact]
    public void AnUnknownDeviceIsAUsageError()
    {
        var error = new StringWriter();
        Assert.Equal(ExitCodes.Usage, BenchCommand.Run("tpu", "small", null, 0, 1, null, false, new StringWriter(), error));
        Assert.Equal("nativemtl bench: unknown device 'tpu' (expected cpu, cuda or cuda:N)" + Environment.NewLine, error.ToString());
    }
}
