using System.Diagnostics;
using System.Text.Json;
using NativeMtl.Balancers;
using Spectre.Console;

namespace NativeMtl.Host.Bench;

/// <summary>One balancer's figures: the median step time, its ratio to Equal's, and the step's peak tensor memory.</summary>
internal sealed record BalancerFigures(string Balancer, double MedianMs, double RatioToEqual, double StepPeakMiB, long Parameters);

/// <summary>Times a training step per balancer on one device and model, Equal first (always, as the baseline row) so every ratio has its
/// baseline from the same run: warm-up steps, then the median of the timed ones.</summary>
internal static class BalancerBench
{
    public static IReadOnlyList<BalancerFigures> Run(Device device, StepBenchConfig model, IReadOnlyList<string> balancers, int warmup, int steps,
        Action<string> progress)
    {
        var order = balancers.Contains("equal") ? balancers.Where(b => b != "equal").Prepend("equal").ToList() : ["equal", .. balancers];
        // The first steps of a process pay for JIT compilation of the whole engine (and cuDNN's algorithm choices);
        // a throw-away run keeps that out of the first balancer's figures.
        using (var engine = new BalancerStepBench("equal", device, model))
            for (int i = 0; i < warmup + 2; i++) engine.Step();
        var figures = new List<BalancerFigures>();
        double equalMs = 0;
        foreach (var name in order)
        {
            progress(name);
            using var bench = new BalancerStepBench(name, device, model);
            for (int i = 0; i < warmup; i++) bench.Step();
            var times = new double[steps];
            for (int i = 0; i < steps; i++)
            {
                long start = Stopwatch.GetTimestamp();
                bench.Step();
                times[i] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
            }
            Array.Sort(times);
            double median = steps % 2 == 1 ? times[steps / 2] : (times[steps / 2 - 1] + times[steps / 2]) / 2;
            if (name == "equal") equalMs = median;
            figures.Add(new BalancerFigures(name, median, median / equalMs, bench.StepPeakBytes() / (1024.0 * 1024.0), bench.ParameterCount));
        }
        return figures;
    }

    public static void Print(IAnsiConsole console, string title, IReadOnlyList<BalancerFigures> figures)
    {
        var table = new Table().Title(title).AddColumns("balancer", "step ms (median)", "ratio to equal", "step peak MiB");
        foreach (var f in figures)
            table.AddRow(f.Balancer, $"{f.MedianMs:F1}", $"{f.RatioToEqual:F2}", $"{f.StepPeakMiB:F1}");
        console.Write(table);
    }

    public static string Json(string device, string deviceName, StepBenchConfig model, int warmup, int steps, IReadOnlyList<BalancerFigures> figures) =>
        JsonSerializer.Serialize(new
        {
            device,
            device_name = deviceName,
            model = new { encoder = model.Encoder, head = model.Head, height = model.Height, width = model.Width, batch = model.Batch },
            warmup_steps = warmup,
            timed_steps = steps,
            balancers = figures.Select(f => new
            {
                name = f.Balancer,
                median_ms = f.MedianMs,
                ratio_to_equal = f.RatioToEqual,
                step_peak_mib = f.StepPeakMiB,
                parameters = f.Parameters,
            }),
        }, new JsonSerializerOptions { WriteIndented = true });
}
