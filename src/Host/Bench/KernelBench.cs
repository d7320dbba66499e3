using System.Diagnostics;
using NativeMtl.Kernels;
using NativeMtl.Kernels.Cuda;
using NativeMtl.Raw;
using Spectre.Console;

namespace NativeMtl.Host.Bench;

/// <summary>
/// The gradient-geometry kernels and the fused masked L1, llm.c style: each case is validated against the CPU
/// backend first, then timed (median of repeated runs; CUDA events on a GPU), and reported as achieved GB/s of
/// the bytes it must move, against the device's peak bandwidth. On a GPU the Gram kernel is set beside cuBLAS's
/// syrk on the same matrix.
/// </summary>
internal static class KernelBench
{
    private const int Repeats = 20;

    public static void Run(Device device, IAnsiConsole console)
    {
        var cuda = Backends.For(device) as CudaBackend;
        double? peak = cuda?.Gpu?.PeakBandwidth;
        var table = new Table().Title($"kernels on {DeviceChoice.Describe(device)}" + (peak is { } limit ? $", peak {limit / 1e9:F0} GB/s" : ""))
            .AddColumns("kernel", "shape", "max rel error", "ms (median)", "GB/s", "% of peak");
        void Row(string kernel, string shape, double error, double ms, double bytes)
        {
            double gbs = bytes / (ms * 1e-3) / 1e9;
            table.AddRow(Markup.Escape(kernel), Markup.Escape(shape), $"{error:E1}", $"{ms:F3}", $"{gbs:F0}", peak is { } limit ? $"{100 * gbs * 1e9 / limit:F0}%" : "");
        }

        foreach (var (k, p) in new[] { (3, 1_000_000), (3, 23_508_032), (8, 23_508_032) })
        {
            using var scope = DisposeScope.Enter();
            var g = Tensors.Normal(new Shape(k, p), new Generator(1), device: device);
            double bytes = 4.0 * k * p;
            var reference = Ops.GradientGram(Ops.To(g, Device.Cpu)).ToArray<float>();
            var gram = Ops.GradientGram(g);
            Row("GradientGram", $"[{k}, {p}]", Error(reference, gram.ToArray<float>()), Time(device, () => Ops.GradientGram(g)), bytes);
            if (cuda?.Gpu is not null)
            {
                var syrk = Tensors.Zeros(new Shape(k, k), device: device);
                cuda.GradientGramCublas(g.Ref, syrk.Ref);
                var lower = LowerTriangle(syrk.ToArray<float>(), k);
                Row("cuBLAS Ssyrk", $"[{k}, {p}]", Error(LowerTriangle(reference, k), lower), Time(device, () => cuda.GradientGramCublas(g.Ref, syrk.Ref)), bytes);
            }
            var c = Tensors.Normal(new Shape(k), new Generator(2), device: device);
            var combined = Ops.GradientCombine(g, c);
            var expected = Ops.GradientCombine(Ops.To(g, Device.Cpu), Ops.To(c, Device.Cpu)).ToArray<float>();
            Row("GradientCombine", $"[{k}, {p}]", Error(expected, combined.ToArray<float>()), Time(device, () => Ops.GradientCombine(g, c)), bytes + 4.0 * p);
        }

        foreach (var shape in new[] { new Shape(8, 1, 288, 384), new Shape(8, 3, 288, 384) })
        {
            using var scope = DisposeScope.Enter();
            var gen = new Generator(3);
            var pred = Tensors.Normal(shape, gen, device: device);
            var target = Tensors.Normal(shape, gen, device: device);
            var mask = Ops.Scalar(ScalarOp.InRange, Tensors.Uniform(shape, gen, device: device), 0, 0.8);
            var (loss, _) = Ops.MaskedL1(pred, target, mask);
            var (cpuLoss, _) = Ops.MaskedL1(Ops.To(pred, Device.Cpu), Ops.To(target, Device.Cpu), Ops.To(mask, Device.Cpu));
            // Reads pred, target and mask and writes the gradient once, then scales the gradient in place.
            double bytes = 4.0 * shape.Count * 6;
            Row("MaskedL1 (fused fwd+bwd)", shape.ToString(), Error([(float)cpuLoss.Item()], [(float)loss.Item()]),
                Time(device, () => Ops.MaskedL1(pred, target, mask)), bytes);
        }
        console.Write(table);
    }

    private static double Error(float[] expected, float[] actual)
    {
        double scale = expected.Max(v => Math.Abs((double)v)), worst = 0;
        for (int i = 0; i < expected.Length; i++) worst = Math.Max(worst, Math.Abs((double)expected[i] - actual[i]));
        return scale == 0 ? worst : worst / scale;
    }

    private static float[] LowerTriangle(float[] m, int k) =>
        Enumerable.Range(0, k).SelectMany(i => Enumerable.Range(0, i + 1).Select(j => m[i * k + j])).ToArray();

    /// <summary>Median milliseconds of <paramref name="work"/> after one warm-up run; each run's tensors are freed.</summary>
    private static double Time(Device device, Action work)
    {
        var backend = Backends.For(device);
        var times = new double[Repeats];
        for (int r = -1; r < Repeats; r++)
        {
            using var scope = DisposeScope.Enter();
            double ms;
            if (backend is CudaBackend { Gpu: { } gpu }) ms = gpu.Time(work);
            else
            {
                long start = Stopwatch.GetTimestamp();
                work();
                ms = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
            if (r >= 0) times[r] = ms;
        }
        Array.Sort(times);
        return times[Repeats / 2];
    }
}
