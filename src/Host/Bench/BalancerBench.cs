using System.Diagnostics;
using System.Text.Json;
using NativeMtl.Balancers;
using Spectre.Console;

namespace NativeMtl.Host.Bench;

/// <summary>One balancer's figures: the median step time, its ratio to Equal's, and where the step's memory goes.</summary>
internal sealed record BalancerFigures(string Balancer, double MedianMs, double RatioToEqual, StepMemory Memory, long Parameters)
{
    public double StepPeakMiB => Memory.StepPeakBytes / BalancerBench.MiB;
}

/// <summary>Times a training step per balancer on one device and model, with Equal always included as the baseline
/// row. All balancers are set up side by side and their steps interleaved (one step of each in turn), so that a
/// load passing over a shared machine, or the engine warming up, touches every balancer alike; each reports the
/// median of its timed steps after the warm-up ones, then one more step measured for memory.</summary>
internal static class BalancerBench
{
    public const double MiB = 1024.0 * 1024.0;

    public static IReadOnlyList<BalancerFigures> Run(Device device, StepBenchConfig model, IReadOnlyList<BalancerSpec> balancers, int warmup, int steps,
        Action<string> progress)
    {
        var equal = BalancerSpec.Parse("equal");
        var order = balancers.Any(b => b.Label == "equal") ? balancers.Where(b => b.Label != "equal").Prepend(equal).ToList() : [equal, .. balancers];
        var benches = new List<BalancerStepBench>();
        try
        {
            foreach (var spec in order)
            {
                progress($"setting up {spec}");
                benches.Add(new BalancerStepBench(spec, device, model));
            }
            var times = order.Select(_ => new double[steps]).ToArray();
            for (int s = -warmup; s < steps; s++)
            {
                if (s == 0) progress($"timing {steps} steps of each");
                for (int b = 0; b < benches.Count; b++)
                {
                    long start = Stopwatch.GetTimestamp();
                    benches[b].Step();
                    if (s >= 0) times[b][s] = Stopwatch.GetElapsedTime(start).TotalMilliseconds;
                }
            }
            var medians = times.Select(Median).ToArray();
            return order.Select((spec, b) => new BalancerFigures(spec.Label, medians[b], medians[b] / medians[0],
                benches[b].MeasureStep(), benches[b].ParameterCount)).ToList();
        }
        finally
        {
            foreach (var bench in benches) bench.Dispose();
        }
    }

    private static double Median(double[] values)
    {
        var sorted = values.Order().ToArray();
        int n = sorted.Length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    public static void Print(IAnsiConsole console, string title, IReadOnlyList<BalancerFigures> figures)
    {
        var equal = figures[0].Memory.StepPeakBytes;
        var table = new Table().Title(title).AddColumns("balancer", "step ms (median)", "ratio to equal", "step peak MiB", "peak / equal's");
        foreach (var f in figures)
            table.AddRow(Markup.Escape(f.Balancer), $"{f.MedianMs:F1}", $"{f.RatioToEqual:F2}", $"{f.StepPeakMiB:F1}", $"{(double)f.Memory.StepPeakBytes / equal:F2}");
        console.Write(table);

        var memory = new Table().Title("where the step peak goes (MiB); saved = what graph nodes hold, each storage once, parameters included; " +
                "balancer state = what the balancer keeps between steps")
            .AddColumns("balancer", "saved for backward", "balancer buffers", "transients", "saved (all)", "workspace", "balancer state");
        foreach (var f in figures)
        {
            var m = f.Memory;
            memory.AddRow(Markup.Escape(f.Balancer), Mib(m.AtPeak.Saved), Mib(m.AtPeak.BalancerBuffers), Mib(m.AtPeak.Transient), Mib(m.SavedBytes), Mib(m.WorkspaceBytes),
                Mib(m.BetweenSteps.BalancerBuffers));
        }
        console.Write(memory);

        var between = figures[0].Memory.BetweenSteps;
        console.WriteLine($"held between steps (MiB): parameters {Mib(between.Parameters)}, gradients {Mib(between.Gradients)}, " +
            $"optimizer state {Mib(between.OptimizerState)}, batches {Mib(between.Data)}");
        var ops = figures[0].Memory.AtPeak.SavedByOp.OrderByDescending(e => e.Value).Select(e => $"{e.Key} {Mib(e.Value)}");
        console.WriteLine($"equal's saved activations by op kind (MiB): {string.Join(", ", ops)}");
    }

    private static string Mib(long bytes) => (bytes / MiB).ToString("F1");

    public static string Json(Device device, StepBenchConfig model, int warmup, int steps, IReadOnlyList<BalancerFigures> figures) =>
        JsonSerializer.Serialize(new
        {
            device = device.ToString(),
            device_name = DeviceChoice.Describe(device),
            versions = DeviceChoice.Versions(device),
            model = new { encoder = model.Encoder, head = model.Head, height = model.Height, width = model.Width, batch = model.Batch, tasks = model.TaskNames },
            warmup_steps = warmup,
            timed_steps = steps,
            interleaved = true,
            balancers = figures.Select(f => new
            {
                name = f.Balancer,
                median_ms = f.MedianMs,
                ratio_to_equal = f.RatioToEqual,
                step_peak_mib = f.StepPeakMiB,
                step_peak_bytes = f.Memory.StepPeakBytes,
                saved_bytes = f.Memory.SavedBytes,
                memory = new
                {
                    at_peak = new
                    {
                        saved_for_backward = f.Memory.AtPeak.Saved,
                        saved_by_op = f.Memory.AtPeak.SavedByOp,
                        balancer_buffers = f.Memory.AtPeak.BalancerBuffers,
                        transients = f.Memory.AtPeak.Transient,
                        parameters = f.Memory.AtPeak.Parameters,
                        gradients = f.Memory.AtPeak.Gradients,
                        optimizer_state = f.Memory.AtPeak.OptimizerState,
                        data = f.Memory.AtPeak.Data,
                    },
                    between_steps = new
                    {
                        parameters = f.Memory.BetweenSteps.Parameters,
                        gradients = f.Memory.BetweenSteps.Gradients,
                        optimizer_state = f.Memory.BetweenSteps.OptimizerState,
                        balancer_state = f.Memory.BetweenSteps.BalancerBuffers,
                        data = f.Memory.BetweenSteps.Data,
                    },
                    workspace = f.Memory.WorkspaceBytes,
                },
                parameters = f.Parameters,
            }),
        }, new JsonSerializerOptions { WriteIndented = true });
}
