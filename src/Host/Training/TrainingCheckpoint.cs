using System.Globalization;
using NativeMtl.Balancers;
using NativeMtl.Models;

namespace NativeMtl.Host.Training;

/// <summary>Where a checkpoint's run stands: steps completed, batches taken from the training loader, the model's random
/// stream (dropout), and the training losses summed since the last logged step (so that the first line logged after
/// a resume averages the same steps as the uninterrupted run's).</summary>
internal sealed record TrainingPosition(int Step, long DataPosition, ulong GeneratorOffset, IReadOnlyList<double>? LossSums = null, int LossSteps = 0);

/// <summary>
/// A training run's whole state in one safetensors file (<see cref="Checkpoint"/>): the model's parameters and
/// buffers under their PyTorch names, the optimizer's state tensors, the balancer's state tensors, its learned
/// parameters and weights, and as metadata the step, the optimizer's step count, the balancer's counters, the
/// training loader's position, the model generator's offset, and the resolved config with its hash. The learning
/// rate is a function of the step, so the step restores the schedule.
/// </summary>
internal static class TrainingCheckpoint
{
    public const string StepKey = "nativemtl.step";
    public const string DataPositionKey = "nativemtl.data_position";
    public const string GeneratorKey = "nativemtl.generator.model";
    public const string ConfigHashKey = "nativemtl.config_sha256";
    public const string ConfigKey = "nativemtl.config";
    public const string BalancerKey = "nativemtl.balancer";
    public const string LossSumsKey = "nativemtl.log.loss_sums";
    public const string LossStepsKey = "nativemtl.log.loss_steps";
    private const string CounterPrefix = "balancer.counter.";

    public static void Save(string path, MtlModel model, MultiTaskStep step, TrainingPosition position, string configYaml, string configHash)
    {
        var metadata = new Dictionary<string, string>
        {
            [StepKey] = position.Step.ToString(CultureInfo.InvariantCulture),
            [DataPositionKey] = position.DataPosition.ToString(CultureInfo.InvariantCulture),
            [GeneratorKey] = position.GeneratorOffset.ToString(CultureInfo.InvariantCulture),
            [ConfigHashKey] = configHash,
            [ConfigKey] = configYaml,
            [BalancerKey] = step.Balancer.Name,
            [LossSumsKey] = string.Join(",", (position.LossSums ?? []).Select(v => v.ToString("R", CultureInfo.InvariantCulture))),
            [LossStepsKey] = position.LossSteps.ToString(CultureInfo.InvariantCulture),
        };
        foreach (var (key, value) in step.Balancer.Counters) metadata[CounterPrefix + key] = value;
        Checkpoint.Save(path, model, step.Optimizer, BalancerTensors(step.Balancer), metadata);
    }

    /// <summary>A checkpoint's position and the config it was written with (its YAML), read and checked for form only.</summary>
    public static (TrainingPosition Position, string ConfigHash, string? ConfigYaml) Read(string path)
    {
        IReadOnlyDictionary<string, string> metadata;
        using (var file = SafeTensorsFile.Open(path)) metadata = file.Metadata;
        var position = new TrainingPosition(
            Integer(path, metadata, StepKey, int.Parse),
            Integer(path, metadata, DataPositionKey, long.Parse),
            Integer(path, metadata, GeneratorKey, ulong.Parse),
            metadata.TryGetValue(LossSumsKey, out var sums) ? Doubles(path, sums) : null,
            metadata.ContainsKey(LossStepsKey) ? Integer(path, metadata, LossStepsKey, int.Parse) : 0);
        return (position, metadata.GetValueOrDefault(ConfigHashKey, ""), metadata.GetValueOrDefault(ConfigKey));
    }

    /// <summary>Restores every tensor and counter <see cref="Save"/> wrote into a freshly built run; the caller has
    /// checked the position and the config (<see cref="Read"/>). Nothing is changed unless every tensor fits.</summary>
    public static void Load(string path, TrainingPosition position, MtlModel model, MultiTaskStep step)
    {
        IReadOnlyDictionary<string, string> metadata;
        using (var file = SafeTensorsFile.Open(path)) metadata = file.Metadata;
        Checkpoint.Load(path, model, step.Optimizer, BalancerTensors(step.Balancer));
        var counters = metadata.Where(m => m.Key.StartsWith(CounterPrefix, StringComparison.Ordinal))
            .ToDictionary(m => m.Key[CounterPrefix.Length..], m => m.Value);
        try
        {
            step.Balancer.RestoreCounters(counters);
        }
        catch (Exception e) when (e is KeyNotFoundException or FormatException or OverflowException)
        {
            throw new CheckpointException(path, $"the balancer's counters ({string.Join(", ", counters.Keys)}) do not fit balancer {step.Balancer.Name}", e);
        }
        step.Steps = position.Step;
        model.Generator.Offset = position.GeneratorOffset;
    }

    private static double[] Doubles(string path, string text)
    {
        if (text.Length == 0) return [];
        try
        {
            return text.Split(',').Select(v => double.Parse(v, NumberStyles.Float, CultureInfo.InvariantCulture)).ToArray();
        }
        catch (FormatException e)
        {
            throw new CheckpointException(path, $"metadata '{LossSumsKey}' is '{text}', not a list of numbers", e);
        }
    }

    /// <summary>The balancer's state tensors, its learned parameters (IAL's and uncertainty's log σ) and its weights.</summary>
    private static IEnumerable<(string Name, Tensor Tensor)> BalancerTensors(IBalancer balancer) =>
        balancer.State().Select(s => ("balancer." + s.Name, s.State))
            .Concat(balancer.ParameterGroups.SelectMany(g => g.Members.Select(m => ($"{g.Name}.{m.Path}", m.Parameter.Value))))
            .Append(("balancer.weights", balancer.Weights));

    private static T Integer<T>(string path, IReadOnlyDictionary<string, string> metadata, string key, Func<string, IFormatProvider, T> parse)
    {
        if (!metadata.TryGetValue(key, out var text)) throw new CheckpointException(path, $"metadata has no '{key}'; it is not a training checkpoint of nativemtl train");
        try
        {
            return parse(text, CultureInfo.InvariantCulture);
        }
        catch (Exception e) when (e is FormatException or OverflowException)
        {
            throw new CheckpointException(path, $"metadata '{key}' is '{text}', not a count", e);
        }
    }
}
