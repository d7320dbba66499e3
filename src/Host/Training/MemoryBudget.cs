using System.Globalization;
using NativeMtl.Host.Config;
using NativeMtl.Kernels;
using NativeMtl.Kernels.Cuda;

namespace NativeMtl.Host.Training;

/// <summary>Refuses, before the first step, a run whose steps cannot fit in memory, rather than letting it grow for
/// minutes into swap or an out-of-memory kill.</summary>
internal static class MemoryBudget
{
    /// <summary>Throws <see cref="ConfigException"/> naming the estimate and what is available when a step of the run
    /// would need more than the device (host RAM, or GPU memory) has free now.</summary>
    public static void Check(Trainer trainer)
    {
        if (Available(trainer.Device) is not var (available, where)) return;
        var (activations, balancer, batches) = trainer.EstimateStepMemory();
        long need = activations + balancer + batches;
        if (need <= available) return;
        var c = trainer.Config;
        throw new ConfigException($"a training step needs about {Gb(need)} (activations {Gb(activations)}, balancer buffers {Gb(balancer)}, " +
            $"batches {Gb(batches)}) and {where} has {Gb(available)} available; lower data.height and data.width ({c.Data.Height}×{c.Data.Width}) " +
            $"or training.batch_size ({c.Training.BatchSize})");
    }

    /// <summary>Bytes free on the device now and what to call it; null where that cannot be known.</summary>
    private static (long Bytes, string Where)? Available(Device device)
    {
        if (Backends.For(device) is CudaBackend { Gpu: { } gpu }) return (gpu.MemoryInfo.Free, $"{device} ({gpu.Name})");
        // Linux's own estimate of what can be allocated without swapping.
        const string meminfo = "/proc/meminfo";
        if (!File.Exists(meminfo)) return null;
        var line = File.ReadLines(meminfo).FirstOrDefault(l => l.StartsWith("MemAvailable:", StringComparison.Ordinal));
        var fields = line?.Split(' ', StringSplitOptions.RemoveEmptyEntries);
        return fields is [_, var kb, "kB"] && long.TryParse(kb, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? (value * 1024, "the host") : null;
    }

    private static string Gb(long bytes) => $"{bytes / 1e9:F1} GB";
}
