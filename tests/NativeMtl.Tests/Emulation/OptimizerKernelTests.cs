using NativeMtl.Kernels;

namespace NativeMtl.Tests.Emulation;

public class OptimizerKernelTests
{
    public static TheoryData<DType, SgdOptions, bool> SgdCases()
    {
        var data = new TheoryData<DType, SgdOptions, bool>();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            data.Add(dtype, new SgdOptions(0.1), false);
            data.Add(dtype, new SgdOptions(0.05, Momentum: 0.9), true);
            data.Add(dtype, new SgdOptions(0.05, Momentum: 0.9, Dampening: 0.1, WeightDecay: 1e-2), false);
            data.Add(dtype, new SgdOptions(0.05, Momentum: 0.8, WeightDecay: 5e-4, Nesterov: true), false);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(SgdCases))]
    public void SgdStepMatchesTheCpu(DType dtype, SgdOptions options, bool firstStep)
    {
        const int N = 1237;
        using var param = Twin.Random(dtype, N, 1);
        using var grad = Twin.Random(dtype, N, 2);
        using var buffer = Twin.Random(dtype, N, 3);
        Emulated.OnBoth(b => b.SgdStep(param.On(b, [N]), grad.On(b, [N]), options.Momentum != 0 ? buffer.On(b, [N]) : null, options, firstStep));
        param.AssertClose(dtype == DType.Float32 ? 1e-6 : 1e-15);
        buffer.AssertClose(dtype == DType.Float32 ? 1e-6 : 1e-15);
    }

    public static TheoryData<DType, AdamOptions, int> AdamCases()
    {
        var data = new TheoryData<DType, AdamOptions, int>();
        foreach (var dtype in new[] { DType.Float32, DType.Float64 })
        {
            data.Add(dtype, new AdamOptions(), 1);
            data.Add(dtype, new AdamOptions(1e-2, WeightDecay: 0.1), 7);
            data.Add(dtype, new AdamOptions(1e-2, Beta1: 0.3, WeightDecay: 0.1, Decoupled: true), 3);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(AdamCases))]
    public void AdamStepMatchesTheCpu(DType dtype, AdamOptions options, int step)
    {
        const int N = 1237;
        using var param = Twin.Random(dtype, N, 4);
        using var grad = Twin.Random(dtype, N, 5);
        using var m = Twin.Random(dtype, N, 6, -0.1, 0.1);
        using var v = Twin.Random(dtype, N, 7, 0, 0.1);
        Emulated.OnBoth(b => b.AdamStep(param.On(b, [N]), grad.On(b, [N]), m.On(b, [N]), v.On(b, [N]), options, step));
        foreach (var t in new[] { param, m, v }) t.AssertClose(dtype == DType.Float32 ? 1e-6 : 1e-15);
    }
}
