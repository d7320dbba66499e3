using NativeMtl.Kernels.Cpu;

namespace NativeMtl.Tests.Emulation;

public class SoftmaxKernelTests
{
    public static TheoryData<DType, int[], int, bool> Cases()
    {
        var data = new TheoryData<DType, int[], int, bool>();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
            foreach (var log in new[] { false, true })
            {
                data.Add(dtype, [37, 300], 1, log);  // rows: a block per row, several loop trips, a partial warp
                data.Add(dtype, [5, 13], 1, log);    // rows shorter than a warp
                data.Add(dtype, [3, 6, 130], 1, log); // columns: a thread per column, a partial last block
            }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SoftmaxMatchesTheCpu(DType dtype, int[] shape, int axis, bool log)
    {
        int count = shape.Aggregate(1, (p, d) => p * d);
        using var x = Twin.Random(dtype, count, count, -6, 6);
        using var y = Twin.Blank(dtype, count);
        Emulated.OnBoth(b => b.Softmax(x.On(b, shape), axis, log, y.On(b, shape)));
        y.AssertClose(dtype == DType.Float32 ? 2e-6 : 1e-13);
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void SoftmaxBackwardMatchesTheCpu(DType dtype, int[] shape, int axis, bool log)
    {
        int count = shape.Aggregate(1, (p, d) => p * d);
        using var x = Twin.Random(dtype, count, count + 1, -3, 3);
        using var y = Twin.Blank(dtype, count);
        using var gy = Twin.Random(dtype, count, count + 2);
        using var gx = Twin.Blank(dtype, count);
        // Both sides differentiate the CPU's forward output, so only the backward kernels are compared.
        var cpu = CpuBackend.Instance;
        cpu.Softmax(x.On(cpu, shape), axis, log, y.On(cpu, shape));
        using var yOnBoth = Twin.Of(dtype, y.Cpu());
        Emulated.OnBoth(b => b.SoftmaxBackward(yOnBoth.On(b, shape), gy.On(b, shape), axis, log, gx.On(b, shape)));
        gx.AssertClose(dtype == DType.Float32 ? 1e-5 : 1e-13);
    }
}
