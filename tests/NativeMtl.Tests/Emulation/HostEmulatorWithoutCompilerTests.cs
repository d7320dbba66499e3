using NativeMtl.Kernels.Cuda;
using NativeMtl.Tests.Cuda;

namespace NativeMtl.Tests.Emulation;

/// <summary>Empties the process's PATH for a moment, so it runs alone.</summary>
[Collection(nameof(CudaEnvironmentCollection))]
public class HostEmulatorWithoutCompilerTests
{
    [Fact]
    public void WithoutGppAndNoCachedLibraryTheErrorSaysSo()
    {
        // A source no run has built before, so that nothing is in the cache.
        var module = RuntimeModule.FromCudaSource("fresh", $"// {Guid.NewGuid()}\n{ScaleAddKernel.Source}");
        _ = Emulated.Device; // the suite's own emulator, built with the PATH intact
        var path = Environment.GetEnvironmentVariable("PATH");
        Environment.SetEnvironmentVariable("PATH", "");
        try
        {
            var error = Assert.Throws<InvalidOperationException>(() => Emulated.With(module));
            Assert.StartsWith("the host emulator builds runtime module 'fresh' with g++, which was not found on the PATH", error.Message);
        }
        finally
        {
            Environment.SetEnvironmentVariable("PATH", path);
        }
    }
}
