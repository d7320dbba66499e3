using System.Runtime.InteropServices;
using NativeMtl.Kernels;
using NativeMtl.Kernels.Cpu;
using NativeMtl.Kernels.Cuda;

namespace NativeMtl.Tests.Emulation;

/// <summary>The CUDA backend on the host emulator of the engine's kernels, and the CPU backend beside it.</summary>
internal static class Emulated
{
    /// <summary>Grids capped at two blocks, so that every kernel's grid-stride loop wraps at the sizes tested (on a GPU
    /// the caps are 8192 and 1024 blocks, reached only by the largest real runs).</summary>
    public static LaunchLimits Limits { get; } = new(MaxGrid: 2, MaxReductionBlocks: 2);

    /// <summary>The emulator libraries of the test run, kept beside the test assembly (rebuilt when a kernel changes).</summary>
    public static string CacheFolder { get; } = Path.Join(AppContext.BaseDirectory, "kernel-cache");

    /// <summary>The suite's emulator of the engine's kernels, created before any other so that it is emulated:0.</summary>
    public static HostEmulator Emulator { get; } = new(limits: Limits, cacheFolder: CacheFolder);

    public static IKernelLauncher Launcher => Emulator.Launcher;

    /// <summary>Shared by every backend of the suite's emulator, so that a test's own backend can use the twins' buffers.</summary>
    public static IDeviceMemory Memory => Emulator.Memory;

    public static CudaBackend Backend => Emulator.Backend;

    /// <summary>The emulated backend as a device of its own, so that tensors and whole ops (through Ops and F, as
    /// real runs call them) reach it: <c>Ops.To(t, Emulated.Device)</c>.</summary>
    public static Device Device => Backend.Device;

    /// <summary>An emulator of the engine's kernels and <paramref name="modules"/>, with the GPU's limits, as a user
    /// would create one; always after the suite's own.</summary>
    public static HostEmulator With(params RuntimeModule[] modules)
    {
        _ = Emulator;
        return new HostEmulator(modules, cacheFolder: CacheFolder);
    }

    /// <summary>Runs the same op on the CPU backend, then on the emulated CUDA backend.</summary>
    public static void OnBoth(Action<IBackend> op)
    {
        op(CpuBackend.Instance);
        op(Backend);
    }
}

/// <summary>One buffer on each backend, with equal contents at the start, and views of it.</summary>
internal sealed class Twin : IDisposable
{
    private readonly DeviceBuffer _cpu;
    private readonly DeviceBuffer _gpu;

    private Twin(DType dtype, double[] values)
    {
        DType = dtype;
        Length = values.Length;
        var bytes = Encode(dtype, values);
        _cpu = CpuBackend.Instance.Allocate(bytes.Length);
        _gpu = Emulated.Backend.Allocate(bytes.Length);
        CpuBackend.Instance.CopyFromHost(bytes, _cpu, 0);
        Emulated.Backend.CopyFromHost(bytes, _gpu, 0);
    }

    public DType DType { get; }

    public int Length { get; }

    public static Twin Of(DType dtype, double[] values) => new(dtype, values);

    /// <summary>Uniform values in [low, high), a fixed pattern per seed.</summary>
    public static Twin Random(DType dtype, int length, int seed, double low = -2, double high = 2) => new(dtype, TestData.Values(length, seed, low, high));

    /// <summary>Filled with a value no op writes, so that untouched elements show up as equal on both sides.</summary>
    public static Twin Blank(DType dtype, int length) => new(dtype, Enumerable.Repeat(-7.0, length).ToArray());

    /// <summary>The view of this twin's buffer on <paramref name="backend"/>: dense unless strides are given.</summary>
    public TensorRef On(IBackend backend, int[] shape, long[]? strides = null, long offset = 0) =>
        new(ReferenceEquals(backend, CpuBackend.Instance) ? _cpu : _gpu, DType, offset, shape, strides ?? TensorRef.ContiguousStrides(shape));

    public double[] Cpu() => Read(CpuBackend.Instance, _cpu);

    public double[] Gpu() => Read(Emulated.Backend, _gpu);

    /// <summary>Every element of the buffer agrees within tol·max(1, |cpu|); NaN matches NaN, ±∞ matches itself.</summary>
    public void AssertClose(double tolerance) =>
        AssertEach((c, g) => double.IsNaN(c) ? double.IsNaN(g) : double.IsInfinity(c) ? c == g : Math.Abs(c - g) <= tolerance * Math.Max(1, Math.Abs(c)));

    public void AssertEqual() => AssertClose(0);

    /// <summary>Every element agrees within tol·|cpu| plus one unit in the last place of the dtype at the CPU's value:
    /// no absolute floor, so tiny and denormal results (exp(−100) in Float32) are held as closely as large ones and a
    /// flush to zero shows; zeros agree in sign; NaN matches NaN, ±∞ matches itself.</summary>
    public void AssertRelativelyClose(double tolerance) => AssertEach((c, g) =>
    {
        double magnitude = Math.Abs(c);
        double ulp = DType == DType.Float32 ? MathF.BitIncrement((float)magnitude) - (float)magnitude : Math.BitIncrement(magnitude) - magnitude;
        return double.IsNaN(c) ? double.IsNaN(g)
            : c == 0 ? g == 0 && double.IsNegative(c) == double.IsNegative(g)
            : double.IsInfinity(c) ? c == g : Math.Abs(c - g) <= tolerance * magnitude + ulp;
    });

    private void AssertEach(Func<double, double, bool> same)
    {
        var (cpu, gpu) = (Cpu(), Gpu());
        for (int i = 0; i < cpu.Length; i++)
            Assert.True(same(cpu[i], gpu[i]), $"element {i}: CPU {cpu[i]:R}, emulated CUDA {gpu[i]:R}");
    }

    private double[] Read(IBackend backend, DeviceBuffer buffer)
    {
        var bytes = new byte[Length * DType.SizeInBytes()];
        backend.CopyToHost(buffer, 0, bytes);
        return DType switch
        {
            DType.Float32 => MemoryMarshal.Cast<byte, float>(bytes).ToArray().Select(v => (double)v).ToArray(),
            DType.Float64 => MemoryMarshal.Cast<byte, double>(bytes).ToArray(),
            _ => MemoryMarshal.Cast<byte, int>(bytes).ToArray().Select(v => (double)v).ToArray(),
        };
    }

    private static byte[] Encode(DType dtype, double[] values) => dtype switch
    {
        DType.Float32 => MemoryMarshal.AsBytes(values.Select(v => (float)v).ToArray().AsSpan()).ToArray(),
        DType.Float64 => MemoryMarshal.AsBytes(values.AsSpan()).ToArray(),
        _ => MemoryMarshal.AsBytes(values.Select(v => (int)v).ToArray().AsSpan()).ToArray(),
    };

    public void Dispose()
    {
        _cpu.Dispose();
        _gpu.Dispose();
    }
}
