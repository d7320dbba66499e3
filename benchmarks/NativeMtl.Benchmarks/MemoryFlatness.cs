using NativeMtl.Balancers;

namespace NativeMtl.Benchmarks;

/// <summary>`memory-flat STEPS [BALANCER ...]`: trains the small net at 32×48 (batch 8) for STEPS steps per balancer
/// and prints the live tensor bytes at step starts: the distinct values from step 10 on (one when memory is flat),
/// with the first and last.</summary>
internal static class MemoryFlatness
{
    public static int Run(string[] args)
    {
        if (args.Length < 1 || !int.TryParse(args[0], out int steps) || steps < 11)
        {
            Console.Error.WriteLine("usage: memory-flat STEPS [BALANCER ...]   (STEPS at least 11)");
            return 2;
        }
        var balancers = args.Length > 1 ? args[1..] : ["equal", "auxilight", "autolambda", "ial"];
        var config = new StepBenchConfig(Height: 32, Width: 48, Batch: 8);
        int flat = 0;
        foreach (var balancer in balancers)
        {
            var started = DateTime.UtcNow;
            var live = StepMemoryProbe.LiveBytesAtStepStarts(balancer, steps, config,
                done => Console.Error.WriteLine($"{balancer}: {done} of {steps} steps, {(DateTime.UtcNow - started).TotalSeconds:F0} s"));
            var distinct = live.Skip(10).Distinct().ToArray();
            Console.WriteLine($"{balancer}: {steps} steps in {(DateTime.UtcNow - started).TotalSeconds:F0} s; live bytes at step 1 {live[0]}, " +
                $"step 10 {live[9]}, step {steps} {live[^1]}; distinct values from step 11 on: {distinct.Length} ({string.Join(", ", distinct.Take(5))})");
            if (distinct.Length == 1) flat++;
        }
        return flat == balancers.Length ? 0 : 1;
    }
}
