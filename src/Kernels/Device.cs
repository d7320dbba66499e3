namespace NativeMtl;

public enum DeviceKind
{
    Cpu,
    Cuda,

    /// <summary>The CUDA backend on host memory, its kernels run by the host emulator of kernels/*.cu (DESIGN §3). Each
    /// HostEmulator registers one, emulated:0 first (the test suite's), so that whole ops (the check command's op table
    /// among them, and users' own kernels) run through the CUDA backend without a GPU; cuDNN and cuBLAS ops are not
    /// available on it.</summary>
    Emulated,
}

/// <summary>Where a tensor's memory lives: the host, or one CUDA device (real or emulated) by ordinal.</summary>
public readonly record struct Device(DeviceKind Kind, int Index = 0)
{
    public static Device Cpu { get; } = new(DeviceKind.Cpu);

    public static Device Cuda(int index = 0) => new(DeviceKind.Cuda, index);

    public static Device Emulated(int index = 0) => new(DeviceKind.Emulated, index);

    public override string ToString() => Kind switch
    {
        DeviceKind.Cpu => "cpu",
        DeviceKind.Cuda => $"cuda:{Index}",
        _ => $"emulated:{Index}",
    };
}
