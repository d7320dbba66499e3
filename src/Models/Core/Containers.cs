namespace NativeMtl.Models;

/// <summary>torch.nn.ModuleList: children named "0", "1", … that the owner runs in whatever way it needs.</summary>
public sealed class ModuleList<T> : Module, IReadOnlyList<T> where T : Module
{
    private readonly List<T> _items = [];

    public ModuleList(IEnumerable<T> items)
    {
        foreach (var item in items) Add(item);
    }

    public ModuleList<T> Add(T item)
    {
        _items.Add(AddModule(_items.Count.ToString(), item));
        return this;
    }

    public T this[int index] => _items[index];

    public int Count => _items.Count;

    public IEnumerator<T> GetEnumerator() => _items.GetEnumerator();

    System.Collections.IEnumerator System.Collections.IEnumerable.GetEnumerator() => GetEnumerator();
}

/// <summary>torch.nn.ModuleDict: children named by key (a task name), kept in insertion order.</summary>
public sealed class ModuleDict<T> : Module where T : Module
{
    private readonly Dictionary<string, T> _items = [];
    private readonly List<string> _keys = [];

    public ModuleDict<T> Add(string key, T item)
    {
        _items.Add(key, AddModule(key, item));
        _keys.Add(key);
        return this;
    }

    public T this[string key] => _items.TryGetValue(key, out var item)
        ? item
        : throw new KeyNotFoundException($"ModuleDict: no entry '{key}' (has {string.Join(", ", _keys)})");

    public IReadOnlyList<string> Keys => _keys;

    public int Count => _keys.Count;
}
