namespace NativeMtl.Models;

/// <summary>
/// A node of a model: named parameters, named buffers (state that is saved but not trained, such as
/// batch-norm running statistics) and named children, so every tensor has a PyTorch-style path
/// ("layer1.0.conv1.weight") that checkpoints share with torchvision. Disposing a module disposes all of it.
/// </summary>
public abstract class Module : IDisposable
{
    private readonly List<(string Name, Parameter Parameter)> _parameters = [];
    private readonly List<(string Name, Tensor Buffer)> _buffers = [];
    private readonly List<(string Name, Module Module)> _children = [];

    /// <summary>Training mode (the default) or evaluation mode; batch norm and dropout behave differently.</summary>
    public bool Training { get; private set; } = true;

    protected Parameter AddParameter(string name, Tensor initial)
    {
        CheckName(name);
        var p = new Parameter(initial.DetachFromScope());
        _parameters.Add((name, p));
        return p;
    }

    protected Tensor AddBuffer(string name, Tensor initial)
    {
        CheckName(name);
        _buffers.Add((name, initial.DetachFromScope()));
        return initial;
    }

    protected T AddModule<T>(string name, T module) where T : Module
    {
        CheckName(name);
        _children.Add((name, module));
        return module;
    }

    private void CheckName(string name)
    {
        if (string.IsNullOrEmpty(name) || name.Contains('.'))
            throw new ArgumentException($"{TypeName}: '{name}' is not a valid member name");
        if (_parameters.Any(p => p.Name == name) || _buffers.Any(b => b.Name == name) || _children.Any(c => c.Name == name))
            throw new ArgumentException($"{TypeName}: a member named '{name}' already exists");
    }

    /// <summary>The class name without a generic arity suffix ("ModuleDict", not "ModuleDict`1").</summary>
    private string TypeName => GetType().Name.Split('`')[0];

    public IEnumerable<(string Path, Parameter Parameter)> NamedParameters(string prefix = "")
    {
        foreach (var (name, p) in _parameters) yield return (prefix + name, p);
        foreach (var (name, child) in _children)
            foreach (var item in child.NamedParameters($"{prefix}{name}.")) yield return item;
    }

    public IEnumerable<(string Path, Tensor Buffer)> NamedBuffers(string prefix = "")
    {
        foreach (var (name, b) in _buffers) yield return (prefix + name, b);
        foreach (var (name, child) in _children)
            foreach (var item in child.NamedBuffers($"{prefix}{name}.")) yield return item;
    }

    /// <summary>Puts the buffers (batch-norm running statistics) back as they are now when disposed, for forward
    /// passes that probe or look around rather than train.</summary>
    public IDisposable KeepingBuffers() => new BufferSnapshot(this);

    private sealed class BufferSnapshot(Module module) : IDisposable
    {
        private readonly (Tensor Buffer, Tensor Copy)[] _saved =
            module.NamedBuffers().Select(b => (b.Buffer, Raw.Ops.Clone(b.Buffer).DetachFromScope())).ToArray();

        public void Dispose()
        {
            foreach (var (buffer, copy) in _saved)
            {
                Raw.Ops.CopyInto(copy, buffer);
                copy.Dispose();
            }
        }
    }

    public IEnumerable<(string Path, Module Module)> NamedChildren() => _children;

    /// <summary>Every module below this one, depth first, with its path ("layer3.0.conv2").</summary>
    public IEnumerable<(string Path, Module Module)> NamedModules(string prefix = "")
    {
        foreach (var (name, child) in _children)
        {
            yield return (prefix + name, child);
            foreach (var item in child.NamedModules($"{prefix}{name}.")) yield return item;
        }
    }

    /// <summary>Parameters and buffers in torch's state_dict order (a module's own parameters, then its own
    /// buffers, then each child's, depth first), so exported files list their keys as PyTorch does.</summary>
    public IEnumerable<(string Path, Tensor Tensor)> StateDict(string prefix = "")
    {
        foreach (var (name, p) in _parameters) yield return (prefix + name, p.Value);
        foreach (var (name, b) in _buffers) yield return (prefix + name, b);
        foreach (var (name, child) in _children)
            foreach (var item in child.StateDict($"{prefix}{name}.")) yield return item;
    }

    public IEnumerable<Parameter> Parameters() => NamedParameters().Select(p => p.Parameter);

    public long ParameterCount => Parameters().Sum(p => p.Value.Count);

    /// <summary>Sets training (true) or evaluation (false) mode on this module and all below it.</summary>
    public void Train(bool training = true)
    {
        Training = training;
        foreach (var (_, child) in _children) child.Train(training);
    }

    public void Eval() => Train(false);

    public virtual void Dispose()
    {
        foreach (var (_, p) in _parameters) p.Value.Dispose();
        foreach (var (_, b) in _buffers) b.Dispose();
        foreach (var (_, c) in _children) c.Dispose();
        GC.SuppressFinalize(this);
    }
}
