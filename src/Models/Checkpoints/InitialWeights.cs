using NativeMtl.Raw;

namespace NativeMtl.Models;

/// <summary>Which of a module's tensors start from a file: those whose path begins with <see cref="Prefix"/>, each
/// from the file's tensor of the same name, or, with a <see cref="FilePrefix"/>, named that + the rest of its path
/// (torchvision's ResNet-50 into our encoder: prefix "encoder.", file prefix "").</summary>
public sealed record InitialWeightsSource(string File, string Prefix = "", string? FilePrefix = null)
{
    /// <summary>The file's name for a module path under <see cref="Prefix"/>.</summary>
    public string FileNameOf(string path) => FilePrefix is null ? path : FilePrefix + path[Prefix.Length..];
}

/// <summary>What <see cref="InitialWeights.Load"/> did: the module's tensors it loaded, those under the prefix the file
/// has no tensor for (left at their initialisation), and the file's tensors nothing took.</summary>
public sealed record InitialWeightsResult(IReadOnlyList<string> Loaded, long LoadedValues, IReadOnlyList<string> LeftAtInitialisation, IReadOnlyList<string> Unused)
{
    /// <summary>One line for a person: counts, with the first few names of what was left and not used.</summary>
    public string Summary(InitialWeightsSource source)
    {
        static string Some(IReadOnlyList<string> names) =>
            names.Count == 0 ? "none" : $"{names.Count} ({string.Join(", ", names.Take(3))}{(names.Count > 3 ? ", …" : "")})";
        return $"init_from {source.File}: loaded {Loaded.Count} tensors ({LoadedValues:N0} values) under '{source.Prefix}'; " +
            $"left at their initialisation: {Some(LeftAtInitialisation)}; not used from the file: {Some(Unused)}";
    }
}

/// <summary>
/// Starts a module from weights in any safetensors file (a trained run's model.safetensors or checkpoint, a converted
/// torchvision state dict): the matching tensors are copied in (Float32 and Float64 convert), the rest keep their
/// initialisation. Shapes must agree exactly: the first tensor whose shape differs is an error, and nothing is copied
/// unless every match fits. PyTorch's batch-norm counters (num_batches_tracked) are never used.
/// </summary>
public static class InitialWeights
{
    public static InitialWeightsResult Load(InitialWeightsSource source, Module module)
    {
        using var file = SafeTensorsFile.Open(source.File);
        var targets = module.NamedParameters().Select(p => (p.Path, Tensor: p.Parameter.Value))
            .Concat(module.NamedBuffers().Select(b => (b.Path, Tensor: b.Buffer)))
            .Where(t => t.Path.StartsWith(source.Prefix, StringComparison.Ordinal))
            .Select(t => (t.Path, t.Tensor, FileName: source.FileNameOf(t.Path)))
            .ToList();
        var matched = targets.Where(t => file.Contains(t.FileName)).ToList();
        foreach (var (path, tensor, fileName) in matched)
        {
            var entry = file.Entry(fileName);
            if (entry.Shape != tensor.Shape)
                throw new CheckpointException(source.File, $"tensor '{fileName}' has shape {entry.Shape}, but '{path}' of the model is {tensor.Shape} (init_from matches exact shapes only)");
            if (entry.ReadsAs is not { } dtype || dtype.IsFloatingPoint() != tensor.DType.IsFloatingPoint())
                throw new CheckpointException(source.File, $"tensor '{fileName}' is {entry.StoredAs}, but '{path}' of the model holds {tensor.DType}");
        }
        using (DisposeScope.Enter())
            foreach (var (_, tensor, fileName) in matched)
                Ops.CopyInto(file.ReadTensor(fileName, tensor.Device), tensor);
        var taken = matched.Select(m => m.FileName).ToHashSet(StringComparer.Ordinal);
        return new InitialWeightsResult(matched.Select(m => m.Path).ToList(), matched.Sum(m => m.Tensor.Shape.Count),
            targets.Where(t => !taken.Contains(t.FileName)).Select(t => t.Path).ToList(),
            file.Entries.Select(e => e.Name).Where(n => !taken.Contains(n) && !n.EndsWith("num_batches_tracked", StringComparison.Ordinal)).ToList());
    }
}
