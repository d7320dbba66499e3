using NativeMtl.Kernels;
using NativeMtl.Kernels.Cuda;

namespace NativeMtl.Host.Bench;

/// <summary>Reads a device name (cpu, cuda, cuda:N) and makes its backend usable, or says why not in one line.</summary>
internal static class DeviceChoice
{
    public static bool TryOpen(string name, out Device device, out string whyNot)
    {
        device = Device.Cpu;
        whyNot = "";
        if (name == "cpu") return true;
        if (name != "cuda" && !(name.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(name.AsSpan(5), out _)))
        {
            whyNot = $"unknown device '{name}' (expected cpu, cuda or cuda:N)";
            return false;
        }
        device = name == "cuda" ? Device.Cuda() : Device.Cuda(int.Parse(name.AsSpan(5)));
        if (!CudaRuntime.TryRegister(out whyNot, out _)) return false;
        try
        {
            Backends.For(device);
            return true;
        }
        catch (Exception e) when (e is CudaException or ArgumentOutOfRangeException)
        {
            whyNot = e.Message.ReplaceLineEndings(" ");
            return false;
        }
    }

    /// <summary>"auto": the first GPU when CUDA is usable, else the CPU. <paramref name="whyNot"/> says why no GPU when
    /// that is news: CUDA is installed but cannot be used (empty when there is no NVIDIA driver at all).</summary>
    public static Device Auto(out string whyNot)
    {
        if (TryOpen("cuda", out var device, out whyNot)) return device;
        CudaRuntime.TryRegister(out _, out bool absent);
        if (absent) whyNot = "";
        return Device.Cpu;
    }

    /// <summary>The CUDA driver, cuBLAS and cuDNN versions of a GPU device, for benchmark records; null on the CPU.</summary>
    public static object? Versions(Device device) =>
        Backends.For(device) is CudaBackend { Gpu: { } gpu } && gpu.Versions is var (driver, cublas, cudnn)
            ? new { cuda_driver = driver, cublas, cudnn }
            : null;

    /// <summary>The GPU's name and driver for reports, or the CPU's core count.</summary>
    public static string Describe(Device device) =>
        Backends.For(device) is CudaBackend { Gpu: { } gpu } ? $"{gpu.Name} (compute {gpu.ComputeCapability.Major}.{gpu.ComputeCapability.Minor})"
            : $"CPU, {Environment.ProcessorCount} cores";
}
