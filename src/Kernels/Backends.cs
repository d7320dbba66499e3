using NativeMtl.Kernels.Cpu;

namespace NativeMtl.Kernels;

/// <summary>Finds the backend for a device. The CPU backend is always present; a device backend registers
/// itself when its runtime loads, and a device nobody registered is a clear error, not a fallback.</summary>
public static class Backends
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<DeviceKind, Func<int, IBackend>> Factories = new();
    private static readonly Dictionary<Device, IBackend> Instances = new() { [Device.Cpu] = CpuBackend.Instance };

    public static void Register(DeviceKind kind, Func<int, IBackend> factory)
    {
        lock (Gate)
        {
            if (kind == DeviceKind.Cpu || !Factories.TryAdd(kind, factory))
                throw new InvalidOperationException($"a backend for {kind} is already registered");
        }
    }

    public static IBackend For(Device device)
    {
        lock (Gate)
        {
            if (Instances.TryGetValue(device, out var backend)) return backend;
            if (!Factories.TryGetValue(device.Kind, out var factory))
                throw new InvalidOperationException($"no backend is available for device {device}");
            backend = factory(device.Index);
            Instances[device] = backend;
            return backend;
        }
    }
}
