namespace NativeMtl.Models;

/// <summary>
/// Factories of one kind of component (encoders, heads, architectures), looked up by the name a config
/// gives. Names are matched exactly. A name can be registered once only, so a plug-in cannot silently
/// replace a built-in or another plug-in.
/// </summary>
public sealed class Registry<TFactory>(string kind) where TFactory : Delegate
{
    private readonly Dictionary<string, TFactory> _factories = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>What the registry holds ("encoder", "head", "architecture"), for messages.</summary>
    public string Kind { get; } = kind;

    public void Register(string name, TFactory factory)
    {
        if (string.IsNullOrWhiteSpace(name) || name.Any(char.IsWhiteSpace))
            throw new ArgumentException($"{Kind} registry: '{name}' is not a valid name");
        lock (_lock)
        {
            if (!_factories.TryAdd(name, factory))
                throw new ArgumentException($"{Kind} registry: '{name}' is already registered");
        }
    }

    public TFactory Get(string name)
    {
        lock (_lock)
        {
            if (_factories.TryGetValue(name, out var factory)) return factory;
        }
        throw new ArgumentException($"{Kind} registry: unknown name '{name}' (known: {string.Join(", ", Names)})");
    }

    /// <summary>Registered names, sorted.</summary>
    public IReadOnlyList<string> Names
    {
        get
        {
            lock (_lock) return _factories.Keys.Order(StringComparer.Ordinal).ToList();
        }
    }
}
