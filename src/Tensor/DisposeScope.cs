namespace NativeMtl;

/// <summary>
/// Collects every tensor created on this thread while it is the innermost scope, and disposes them all
/// when it ends: the intermediates of a training step go away together, deterministically. A result that
/// must outlive the scope is moved out with <see cref="Tensor.MoveToOuterScope"/>. Scopes nest and must
/// end in reverse order of entry.
/// </summary>
public sealed class DisposeScope : IDisposable
{
    [ThreadStatic] private static DisposeScope? _current;

    private readonly List<Tensor> _tensors = [];
    private bool _disposed;

    private DisposeScope(DisposeScope? parent) => Parent = parent;

    public static DisposeScope? Current => _current;

    public DisposeScope? Parent { get; }

    public static DisposeScope Enter() => _current = new DisposeScope(_current);

    /// <summary>Tensors currently owned by this scope.</summary>
    public int Count => _tensors.Count(t => t.Scope == this);

    /// <summary>Makes this scope the owner of a tensor that belonged to another scope or to none.</summary>
    public Tensor Adopt(Tensor tensor)
    {
        if (_disposed) throw new ObjectDisposedException(nameof(DisposeScope));
        Register(tensor);
        return tensor;
    }

    internal void Register(Tensor tensor)
    {
        tensor.Scope = this;
        _tensors.Add(tensor);
    }

    public void Dispose()
    {
        if (_disposed) return;
        if (_current != this)
            throw new InvalidOperationException("disposal scopes must end in reverse order of entry");
        _disposed = true;
        _current = Parent;
        foreach (var tensor in _tensors)
            if (tensor.Scope == this) tensor.Dispose();
        _tensors.Clear();
    }
}
