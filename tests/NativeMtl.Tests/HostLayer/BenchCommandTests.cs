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
    public void AnUnknownBalancerIsOneLineAndAUsageError()
    {
        var error = new StringWriter();
        int code = BenchCommand.Run("cpu", "small", "equal,pcgrad", 0, 1, null, false, new StringWriter(), error);
        Assert.Equal(ExitCodes.Usage, code);
        Assert.StartsWith("nativemtl bench: unknown balancer 'pcgrad' (known: autolambda,", error.ToString());
    }

    [Fact]
    public void AnUnknownDeviceIsAUsageError()
    {
        var error = new StringWriter();
        Assert.Equal(ExitCodes.Usage, BenchCommand.Run("tpu", "small", null, 0, 1, null, false, new StringWriter(), error));
        Assert.Equal("nativemtl bench: unknown device 'tpu' (expected cpu, cuda or cuda:N)" + Environment.NewLine, error.ToString());
    }
}
