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

    /// <summary>
    /// Runs <paramref name="body"/> in a scope of its own and hands its result to the caller's scope: every other
    /// tensor the body made is disposed when it returns. Graph nodes keep what their backward rules saved, so a
    /// composite function or a layer written this way leaves behind only what backward needs.
    /// </summary>
    public static Tensor Run(Func<Tensor> body)
    {
        using var scope = Enter();
        var result = body();
        if (result.Scope == scope) result.MoveToOuterScope();
        return result;
    }

    /// <summary>Applies <paramref name="steps"/> in turn, disposing each intermediate result as soon as the next step
    /// has consumed it (graph nodes keep what they saved), so a chain of layers holds one transient at a time. Each
    /// step returns a new handle or its own input; <paramref name="x"/> itself is never disposed.</summary>
    public static Tensor Chain(Tensor x, params Func<Tensor, Tensor>[] steps)
    {
        var current = x;
        foreach (var step in steps)
        {
            var next = step(current);
            if (!ReferenceEquals(current, x) && !ReferenceEquals(next, current)) current.Dispose();
            current = next;
        }
        return current;
    }

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
