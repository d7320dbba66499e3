using System.Text.Json.Nodes;
using NativeMtl.Host.Training;

namespace NativeMtl.Host.Search;

/// <summary>
/// A child's reward (seed 001 §3.3): the geometric mean of the main tasks' evaluation metrics after its training. The
/// metrics are those that improve upwards (mIoU, pixel accuracy, the δ thresholds of depth, the angle thresholds of
/// normals, ADD(-S)): ratios in [0, 1], whose product is the geometric mean's domain; errors and losses, which improve
/// downwards and have units, are left out rather than turned into ratios by an arbitrary map.
/// </summary>
internal static class SearchReward
{
    public static (double Reward, IReadOnlyList<(string Task, string Metric, double Value)> Terms) Of(string finalMetrics, IReadOnlyList<string> mainTasks)
    {
        JsonNode root;
        try
        {
            root = JsonNode.Parse(File.ReadAllText(finalMetrics)) ?? throw new RunInputException($"{finalMetrics}: empty");
        }
        catch (System.Text.Json.JsonException e)
        {
            throw new RunInputException($"{finalMetrics}: {e.Message}");
        }
        var schema = root["metric_schema"]?.AsObject();
        var terms = new List<(string, string, double)>();
        foreach (var task in mainTasks)
        {
            var metrics = root["metrics"]?[task]?.AsObject() ?? throw new RunInputException($"{finalMetrics}: no metrics of the main task '{task}'");
            var upward = metrics.Where(m => schema?[m.Key]?["higher_is_better"]?.GetValue<bool>() == true).ToList();
            if (upward.Count == 0)
                throw new RunInputException($"{finalMetrics}: the main task '{task}' has no metric that improves upwards (it has {string.Join(", ", metrics.Select(m => m.Key))}), so it cannot enter the reward");
            terms.AddRange(upward.Select(m => (task, m.Key, m.Value?.GetValue<double>() ?? 0.0)));
        }
        // A metric of 0 (or a NaN written as null) makes the reward 0, as the product would.
        double reward = terms.Any(t => !(t.Item3 > 0)) ? 0 : Math.Exp(terms.Average(t => Math.Log(t.Item3)));
        return (reward, terms);
    }
}
