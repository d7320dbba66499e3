using BenchmarkDotNet.Attributes;
using BenchmarkDotNet.Configs;
using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Benchmarks;

/// <summary>A ResNet-style 3×3 layer in Float32: N=8, C=K=64, 48×48, padding 1. Forward, each backward pass
/// and a whole training step of the layer, with achieved GFLOP/s (forward = 2·N·K·P·Q·C·R·S flops, and each
/// backward pass the same).</summary>
[ShortRunJob]
[Config(typeof(Conv2dBenchmarks.Config))]
public class Conv2dBenchmarks
{
    private const int N = 8, C = 64, K = 64, Size = 48, Kernel = 3;
    private static readonly Conv2dGeometry Geometry = new(PadH: 1, PadW: 1);

    /// <summary>P = Q = 48 with padding 1, so one pass is 2·N·K·48²·C·3² flops.</summary>
    private const double PassFlops = 2.0 * N * K * Size * Size * C * Kernel * Kernel;

    private Tensor _x = null!, _w = null!, _gy = null!;

    [GlobalSetup]
    public void Setup()
    {
        var generator = new Generator(42);
        _x = Tensors.Normal(new Shape(N, C, Size, Size), generator);
        _w = Tensors.Normal(new Shape(K, C, Kernel, Kernel), generator, std: 0.05);
        _gy = Tensors.Normal(new Shape(N, K, Size, Size), generator);
    }

    [GlobalCleanup]
    public void Cleanup()
    {
        _x.Dispose();
        _w.Dispose();
        _gy.Dispose();
    }

    [Benchmark]
    public void Forward()
    {
        using var y = Ops.Conv2d(_x, _w, null, Geometry);
    }

    [Benchmark]
    public void BackwardData()
    {
        using var gx = Ops.Conv2dBackwardData(_gy, _w, _x.Shape, Geometry);
    }

    [Benchmark]
    public void BackwardFilter()
    {
        using var gw = Ops.Conv2dBackwardFilter(_x, _gy, _w.Shape, Geometry);
    }

    [Benchmark]
    public void ForwardAndBackward()
    {
        using var y = Ops.Conv2d(_x, _w, null, Geometry);
        using var gx = Ops.Conv2dBackwardData(_gy, _w, _x.Shape, Geometry);
        using var gw = Ops.Conv2dBackwardFilter(_x, _gy, _w.Shape, Geometry);
    }

    private sealed class Config : ManualConfig
    {
        public Config() => AddColumn(new GflopsColumn("forward = 2·N·K·P·Q·C·R·S flops, each backward pass the same, the whole step three",
            c => (c.Descriptor.WorkloadMethod.Name == nameof(ForwardAndBackward) ? 3 : 1) * PassFlops));
    }
}
