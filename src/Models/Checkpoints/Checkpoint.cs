using NativeMtl.Raw;

namespace NativeMtl.Models;

/// <summary>What a checkpoint held besides the tensors that were loaded: its metadata, and the names that did
/// not match (empty unless the load was not strict).</summary>
public sealed record CheckpointLoadResult(IReadOnlyDictionary<string, string> Metadata, IReadOnlyList<string> Missing, IReadOnlyList<string> Unexpected);

/// <summary>
/// Saves and restores a training state as one safetensors file: a module's parameters and buffers under their
/// PyTorch paths ("layer1.0.conv1.weight", "bn1.running_mean"), so weights move to and from torchvision; the
/// optimizer's state tensors under "optimizer." + their names, with its step count in the metadata; and any
/// extra named tensors (balancer state, RNG state).
/// </summary>
public static class Checkpoint
{
    public const string OptimizerPrefix = "optimizer.";

    /// <summary>The metadata key of <see cref="Optimizer.Steps"/>.</summary>
    public const string OptimizerStepsKey = "optimizer.steps";

    private const string BatchCounter = "num_batches_tracked";

    /// <summary>Writes the checkpoint atomically: a failure leaves any previous file at <paramref name="path"/> as it was.</summary>
    public static void Save(string path, Module module, Optimizer? optimizer = null,
        IEnumerable<(string Name, Tensor Tensor)>? extra = null, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var allMetadata = new Dictionary<string, string>(metadata ?? new Dictionary<string, string>(), StringComparer.Ordinal);
        if (optimizer is not null && !allMetadata.TryAdd(OptimizerStepsKey, optimizer.Steps.ToString()))
            throw new CheckpointException(path, $"metadata key '{OptimizerStepsKey}' is reserved for the optimizer's step count");
        SafeTensors.Write(path, StateOf(module, optimizer, extra), allMetadata);
    }

    /// <summary>
    /// Copies the checkpoint's tensors into the module's parameters and buffers, the optimizer's state and the
    /// extra tensors, in place (converting between Float32 and Float64), and restores the optimizer's step
    /// count, which the metadata must hold whenever an optimizer is given. Strict (the default): a tensor missing from the file or a file tensor nothing here expects is an
    /// error; otherwise those are skipped and reported. PyTorch's batch-norm "num_batches_tracked" counters are
    /// always skipped when nothing here expects them: this engine's batch norm always uses its momentum, and
    /// PyTorch reads the counter only when momentum is None. A shape or dtype mismatch is always an error.
    /// Everything is checked and read before anything is written, so a failed load leaves every tensor as it was.
    /// </summary>
    public static CheckpointLoadResult Load(string path, Module module, Optimizer? optimizer = null,
        IEnumerable<(string Name, Tensor Tensor)>? extra = null, bool strict = true)
    {
        var expected = StateOf(module, optimizer, extra).ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, _) in expected)
            if (!names.Add(name)) throw new CheckpointException(path, $"two tensors to restore are named '{name}'");

        using var file = SafeTensorsFile.Open(path);
        var missing = expected.Select(e => e.Name).Where(n => !file.Contains(n)).ToList();
        var unexpected = file.Entries.Select(e => e.Name).Where(n => !names.Contains(n) && !IsBatchCounter(n)).ToList();
        if (strict && (missing.Count > 0 || unexpected.Count > 0)) throw new CheckpointException(path, Mismatch(missing, unexpected));
        int? steps = optimizer is null ? null : StepCount(path, file.Metadata);

        var present = expected.Where(e => file.Contains(e.Name)).ToList();
        foreach (var (name, target) in present)
        {
            var entry = file.Entry(name);
            if (entry.Shape != target.Shape) throw new CheckpointException(path, $"tensor '{name}' has shape {entry.Shape}, the model expects {target.Shape}");
            if (entry.ReadsAs is not { } dtype)
                throw new CheckpointException(path, $"tensor '{name}' has dtype {entry.StoredAs}, which the engine does not read (it reads F32, F64, I32 and I64)");
            if (dtype.IsFloatingPoint() != target.DType.IsFloatingPoint())
                throw new CheckpointException(path, $"tensor '{name}' is {entry.StoredAs} in the file, the model holds {target.DType}");
        }
        using (DisposeScope.Enter())
        {
            var values = present.Select(e => file.ReadTensor(e.Name, e.Tensor.Device)).ToList();
            for (int i = 0; i < present.Count; i++) Ops.CopyInto(values[i], present[i].Tensor);
        }
        if (steps is { } s) optimizer!.Steps = s;
        return new CheckpointLoadResult(file.Metadata, missing, unexpected);
    }

    private static IEnumerable<(string Name, Tensor Tensor)> StateOf(Module module, Optimizer? optimizer, IEnumerable<(string Name, Tensor Tensor)>? extra) =>
        module.NamedParameters().Select(p => (p.Path, p.Parameter.Value))
            .Concat(module.NamedBuffers().Select(b => (b.Path, b.Buffer)))
            .Concat(optimizer?.State().Select(s => (OptimizerPrefix + s.Name, s.State)) ?? [])
            .Concat(extra ?? []);

    private static bool IsBatchCounter(string name) => name == BatchCounter || name.EndsWith("." + BatchCounter, StringComparison.Ordinal);

    private static int StepCount(string path, IReadOnlyDictionary<string, string> metadata)
    {
        if (!metadata.TryGetValue(OptimizerStepsKey, out var text))
            throw new CheckpointException(path, $"metadata has no '{OptimizerStepsKey}', so the optimizer cannot resume where it stopped");
        if (!int.TryParse(text, System.Globalization.NumberStyles.None, null, out int steps))
            throw new CheckpointException(path, $"metadata '{OptimizerStepsKey}' is '{text}', not a step count");
        return steps;
    }

    private static string Mismatch(List<string> missing, List<string> unexpected)
    {
        static string List(List<string> names) =>
            string.Join(", ", names.Take(5).Select(n => $"'{n}'")) + (names.Count > 5 ? $" and {names.Count - 5} more" : "");
        var parts = new List<string>();
        if (missing.Count > 0) parts.Add($"missing {List(missing)}");
        if (unexpected.Count > 0) parts.Add($"unexpected {List(unexpected)}");
        return "tensors do not match the model: " + string.Join("; ", parts);
    }
}
