namespace NativeMtl.Models;

/// <summary>Task losses by name, as configurations refer to them ("loss: masked_l1").</summary>
public sealed class TaskLossRegistry
{
    private readonly Dictionary<string, Func<TaskLoss>> _factories = new(StringComparer.Ordinal);

    /// <summary>A registry holding the built-in losses: cross_entropy, masked_l1 and normal_cosine.</summary>
    public static TaskLossRegistry CreateDefault()
    {
        var registry = new TaskLossRegistry();
        registry.Register("cross_entropy", () => new CrossEntropyLoss());
        registry.Register("masked_l1", () => new MaskedL1Loss());
        registry.Register("normal_cosine", () => new NormalCosineLoss());
        return registry;
    }

    /// <summary>The registered names, in ordinal order.</summary>
    public IReadOnlyList<string> Names => _factories.Keys.Order(StringComparer.Ordinal).ToList();

    public void Register(string name, Func<TaskLoss> factory)
    {
        if (string.IsNullOrWhiteSpace(name)) throw new ArgumentException("a task loss needs a non-blank name");
        if (!_factories.TryAdd(name, factory)) throw new ArgumentException($"task loss '{name}' is already registered");
    }

    /// <summary>A new instance of the named loss.</summary>
    public TaskLoss Create(string name) =>
        _factories.TryGetValue(name, out var factory)
            ? factory()
            : throw new ArgumentException($"unknown task loss '{name}'; known: {string.Join(", ", Names)}");
}
