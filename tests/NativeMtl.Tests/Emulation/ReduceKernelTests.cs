using NativeMtl.Kernels;
using NativeMtl.Kernels.Cpu;
using NativeMtl.Kernels.Cuda;

namespace NativeMtl.Tests.Emulation;

public class ReduceKernelTests
{
    private static readonly int[] Shape = [6, 50, 9];

    public static TheoryData<ReduceOp, DType, int[]> Cases()
    {
        var data = new TheoryData<ReduceOp, DType, int[]>();
        // [1,50,9] and [1,1,1] reduce 6 and 2700 elements per output; [6,1,9] reduces a strided axis of 50.
        int[][] outputs = [[1, 50, 9], [6, 1, 9], [6, 50, 1], [1, 1, 1], [6, 1, 1]];
        foreach (var op in Enum.GetValues<ReduceOp>())
            foreach (var dtype in new[] { DType.Float32, DType.Float64 })
                foreach (var output in outputs)
                    data.Add(op, dtype, output);
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void ReductionMatchesTheCpu(ReduceOp op, DType dtype, int[] output)
    {
        int count = Shape[0] * Shape[1] * Shape[2], outputs = output[0] * output[1] * output[2];
        using var x = Twin.Random(dtype, count, (int)op + 3 * output[1]);
        using var y = Twin.Blank(dtype, outputs);
        Emulated.OnBoth(b => b.Reduce(op, x.On(b, Shape), y.On(b, output)));
        // The CPU adds Float32 runs of up to 1024 elements in float before moving to double, the kernels add
        // everything in double: over 2700 values with cancellation the two differ by about 1e-6 of the result.
        y.AssertClose(dtype == DType.Float32 ? 1e-5 : 1e-13);
    }

    /// <summary>With a launcher of its own (the shared one records every test's launches): summing 6 values per
    /// output takes the one-thread-per-output kernel and nothing else; summing all 2700 then takes the block kernel.</summary>
    [Fact]
    public void ShortBlocksUseAThreadPerOutputAndLongOnesABlock()
    {
        var launcher = new RecordingLauncher(Emulated.Launcher);
        var backend = new CudaBackend(Emulated.Memory, launcher, Emulated.Device, Emulated.Limits);
        using var x = Twin.Random(DType.Float32, 6 * 50 * 9, 5);
        using var rows = Twin.Blank(DType.Float32, 50 * 9);
        using var total = Twin.Blank(DType.Float32, 1);
        backend.Reduce(ReduceOp.Sum, x.On(backend, Shape), rows.On(backend, [1, 50, 9]));
        Assert.Equal(["reduce_thread_f32"], launcher.Launched);
        backend.Reduce(ReduceOp.Sum, x.On(backend, Shape), total.On(backend, [1, 1, 1]));
        Assert.Equal(["reduce_thread_f32", "reduce_block_f32"], launcher.Launched);
        CpuBackend.Instance.Reduce(ReduceOp.Sum, x.On(CpuBackend.Instance, Shape), rows.On(CpuBackend.Instance, [1, 50, 9]));
        CpuBackend.Instance.Reduce(ReduceOp.Sum, x.On(CpuBackend.Instance, Shape), total.On(CpuBackend.Instance, [1, 1, 1]));
        rows.AssertClose(1e-5);
        total.AssertClose(1e-5);
    }

    [Fact]
    public void MaxPropagatesNaNLikeTheCpu()
    {
        var values = TestData.Values(600, 8);
        values[417] = double.NaN;
        using var x = Twin.Of(DType.Float32, values);
        using var y = Twin.Blank(DType.Float32, 2);
        Emulated.OnBoth(b => b.Reduce(ReduceOp.Max, x.On(b, [2, 300]), y.On(b, [2, 1])));
        y.AssertEqual();
        Assert.True(double.IsNaN(y.Gpu()[1]));
    }

    [Theory]
    [InlineData(DType.Float32, 1)]
    [InlineData(DType.Float64, 2)]
    [InlineData(DType.Float32, 0)]
    public void ArgMaxPicksTheFirstMaximumOrTheFirstNaN(DType dtype, int axis)
    {
        var values = TestData.Values(5 * 7 * 3, 9).Select(v => Math.Round(v * 2) / 2).ToArray();
        values[20] = double.NaN;
        using var x = Twin.Of(dtype, values);
        int[] output = [5, 7, 3];
        output[axis] = 1;
        using var y = Twin.Blank(DType.Int32, output[0] * output[1] * output[2]);
        Emulated.OnBoth(b => b.ArgMax(x.On(b, [5, 7, 3]), axis, y.On(b, output)));
        y.AssertEqual();
    }
}
