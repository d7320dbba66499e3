namespace NativeMtl;

public enum DeviceKind
{
    Cpu,
    Cuda,
}

/// <summary>Where a tensor's memory lives: the host, or one CUDA device by ordinal.</summary>
public readonly record struct Device(DeviceKind Kind, int Index = 0)
{
    public static Device Cpu { get; } = new(DeviceKind.Cpu);

    public static Device Cuda(int index = 0) => new(DeviceKind.Cuda, index);

    public override string ToString() => Kind == DeviceKind.Cpu ? "cpu" : $"cuda:{Index}";
}
