namespace NativeMtl.Models;

/// <summary>
/// Δ_MTL (Maninis et al., 2019), the mean relative change of a multi-task model against single-task baselines,
/// in percent, as LibMTL's count_improvement computes it:
/// Δ = 100 · (1/T) Σ_t (1/|M_t|) Σ_m (−1)^{l_m} (M_m − M_single,m) / M_single,m, with l_m = 1 where lower is
/// better. Positive is better. Every metric listed for a task counts, so pass the ones the comparison uses
/// (LibMTL's NYUv2: mIoU and pixel accuracy; abs_err and rel_err; the five normal metrics).
/// </summary>
public static class DeltaMtl
{
    public static double Compute(IReadOnlyDictionary<string, IReadOnlyList<MetricValue>> multiTask,
        IReadOnlyDictionary<string, IReadOnlyList<MetricValue>> singleTask)
    {
        if (multiTask.Count == 0) throw new ArgumentException("Δ_MTL: no task results to compare");
        double total = 0;
        foreach (var (task, metrics) in multiTask)
        {
            if (metrics.Count == 0) throw new ArgumentException($"Δ_MTL: task '{task}' has no metrics");
            if (!singleTask.TryGetValue(task, out var baselines)) throw new ArgumentException($"Δ_MTL: no single-task results for task '{task}'");
            double taskSum = 0;
            foreach (var metric in metrics)
            {
                var matches = baselines.Where(b => b.Name == metric.Name).ToList();
                if (matches.Count != 1)
                    throw new ArgumentException($"Δ_MTL: single-task results for task '{task}' have {matches.Count} metrics named '{metric.Name}', not one");
                var baseline = matches[0];
                if (baseline.HigherIsBetter != metric.HigherIsBetter)
                    throw new ArgumentException($"Δ_MTL: '{task}/{metric.Name}' improves upwards in one result and downwards in the other");
                if (baseline.Value == 0 || !double.IsFinite(baseline.Value))
                    throw new ArgumentException($"Δ_MTL: single-task '{task}/{metric.Name}' is {baseline.Value}, so its relative change is undefined");
                double change = (metric.Value - baseline.Value) / baseline.Value;
                taskSum += metric.HigherIsBetter ? change : -change;
            }
            total += taskSum / metrics.Count;
        }
        return 100 * total / multiTask.Count;
    }
}
