using System.Runtime.InteropServices;
using System.Text;
using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl;

/// <summary>
/// An n-dimensional array on a device: a view (shape, element strides, offset) of a shared storage.
/// Disposing a tensor releases its handle; the storage is freed when its last view is disposed.
/// Compute lives elsewhere: <see cref="Ops"/> holds the raw ops, and the autograd layer the differentiable ones.
/// </summary>
public sealed class Tensor : IDisposable
{
    private readonly Storage _storage;
    private readonly long[] _strides;
    private Tensor? _grad;
    private Tensor? _tangent;
    private bool _requiresGrad;
    private bool _heldByNode;

    internal Tensor(Storage storage, Shape shape, long[] strides, long offset, DType dtype)
    {
        _storage = storage;
        Shape = shape;
        _strides = strides;
        Offset = offset;
        DType = dtype;
        MemoryCounters.TensorCreated();
        DisposeScope.Current?.Register(this);
    }

    public Shape Shape { get; }

    public DType DType { get; }

    public long Offset { get; }

    public ReadOnlySpan<long> Strides => _strides;

    public Device Device => _storage.Backend.Device;

    public IBackend Backend => _storage.Backend;

    public int Rank => Shape.Rank;

    public long Count => Shape.Count;

    /// <summary>An optional label (a parameter's name) used in error messages and checkpoints.</summary>
    public string? Name { get; set; }

    public bool IsDisposed { get; private set; }

    /// <summary>The disposal scope that owns this tensor, or null when its creator does.</summary>
    public DisposeScope? Scope { get; internal set; }

    /// <summary>What the kernels see of this tensor.</summary>
    public TensorRef Ref
    {
        get
        {
            ThrowIfDisposed();
            return new TensorRef(_storage.Buffer, DType, Offset, Shape.ToArray(), (long[])_strides.Clone());
        }
    }

    public bool IsContiguous => Ref.IsContiguous;

    /// <summary>True when no other handle shares this tensor's storage, so writing in place affects only it.</summary>
    public bool HasExclusiveStorage => !IsDisposed && _storage.IsExclusive;

    /// <summary>What this tensor's storage is for, as the memory counters report it (shared by all its views).</summary>
    public MemoryRole MemoryRole
    {
        get => _storage.Role;
        set
        {
            ThrowIfDisposed();
            _storage.Role = value;
        }
    }

    /// <summary>A handle for a graph node of kind <paramref name="op"/> to keep until its backward rule has run: it
    /// belongs to no disposal scope, keeps the storage alive after every other handle is gone, and counts the
    /// storage as saved for backward until it is disposed.</summary>
    public Tensor SaveForBackward(string op)
    {
        var saved = View(Shape, (long[])_strides.Clone(), Offset).DetachFromScope();
        saved._heldByNode = true;
        _storage.HeldByNode(op);
        return saved;
    }

    // ---- autograd links (maintained by the autograd layer) ----

    /// <summary>The op that produced this tensor, or null for a leaf.</summary>
    public IGradFn? GradFn { get; set; }

    public bool IsLeaf => GradFn is null;

    /// <summary>Whether gradients flow to this tensor: set by the user on leaves, implied by <see cref="GradFn"/> otherwise.</summary>
    public bool RequiresGrad
    {
        get => _requiresGrad || GradFn is not null;
        set
        {
            if (!IsLeaf && !value) throw new InvalidOperationException("RequiresGrad can only be cleared on a leaf tensor; use Detach");
            if (value && !DType.IsFloatingPoint()) throw new InvalidOperationException($"a {DType} tensor cannot require gradients");
            _requiresGrad = value;
        }
    }

    /// <summary>The accumulated gradient of a leaf. The tensor owns it: assigning takes it out of any disposal
    /// scope, and disposing the tensor or replacing the gradient disposes the old one.</summary>
    public Tensor? Grad
    {
        get => _grad;
        set
        {
            if (ReferenceEquals(value, _grad)) return;
            if (value is not null)
            {
                if (value.Shape != Shape) throw new ShapeException("Grad", $"gradient shape {value.Shape} differs from tensor shape {Shape}");
                value.DetachFromScope();
            }
            _grad?.Dispose();
            _grad = value;
        }
    }

    /// <summary>
    /// The tangent this tensor carries in forward mode: the directional derivative of its value along a direction
    /// chosen for the inputs. Set it on inputs (parameters included) and every differentiable function computes its
    /// output's tangent from its inputs' (its JVP rule), whether or not it also records for backward. The tensor owns
    /// it as it owns <see cref="Grad"/>; null means a zero tangent.
    /// </summary>
    public Tensor? Tangent
    {
        get => _tangent;
        set
        {
            if (ReferenceEquals(value, _tangent)) return;
            if (value is not null)
            {
                if (value.Shape != Shape) throw new ShapeException("Tangent", $"tangent shape {value.Shape} differs from tensor shape {Shape}");
                if (value.DType != DType) throw new InvalidOperationException($"a {value.DType} tangent for a {DType} tensor");
                value.DetachFromScope();
            }
            _tangent?.Dispose();
            _tangent = value;
        }
    }

    /// <summary>Moves this tensor from its disposal scope to the enclosing one (or out of all scopes, so the caller owns it).</summary>
    public Tensor MoveToOuterScope()
    {
        var target = Scope?.Parent;
        if (target is null) Scope = null;
        else target.Register(this);
        return this;
    }

    /// <summary>Takes this tensor out of every disposal scope: the caller now disposes it.</summary>
    public Tensor DetachFromScope()
    {
        Scope = null;
        return this;
    }

    public void Dispose()
    {
        if (IsDisposed) return;
        IsDisposed = true;
        Scope = null;
        _grad?.Dispose();
        _grad = null;
        _tangent?.Dispose();
        _tangent = null;
        // The node that made this tensor no longer has it to pass on; the node goes when nothing downstream needs it.
        GradFn?.OutputReleased();
        GradFn = null;
        if (_heldByNode) _storage.LetGoByNode();
        _storage.Release();
        MemoryCounters.TensorDisposed();
    }

    public void ThrowIfDisposed()
    {
        if (IsDisposed)
            throw new ObjectDisposedException(nameof(Tensor), $"tensor {Name ?? ""}{Shape} {DType} was used after it was disposed");
    }

    /// <summary>A new handle on the same storage with another shape, strides and offset.</summary>
    internal Tensor View(Shape shape, long[] strides, long offset)
    {
        ThrowIfDisposed();
        return new Tensor(_storage.AddReference(), shape, strides, offset, DType);
    }

    internal static Tensor Allocate(Shape shape, DType dtype, Device device)
    {
        var backend = Backends.For(device);
        var storage = new Storage(backend, Math.Max(1, shape.Count) * dtype.SizeInBytes());
        return new Tensor(storage, shape, TensorRef.ContiguousStrides(shape.ToArray()), 0, dtype);
    }

    // ---- host access: each of these waits for the device ----

    /// <summary>Copies the elements to a new host array in row-major order.</summary>
    public T[] ToArray<T>() where T : unmanaged
    {
        ThrowIfDisposed();
        if (DTypeExtensions.Of<T>() != DType)
            throw new InvalidOperationException($"ToArray<{typeof(T).Name}> on a {DType} tensor");
        var result = new T[Count];
        if (Count == 0) return result;
        if (IsContiguous)
        {
            Backend.CopyToHost(_storage.Buffer, Offset * DType.SizeInBytes(), MemoryMarshal.AsBytes(result.AsSpan()));
            return result;
        }
        using var dense = Ops.Contiguous(this).DetachFromScope();
        return dense.ToArray<T>();
    }

    /// <summary>The value of a one-element tensor, as a double.</summary>
    public double Item()
    {
        if (Count != 1) throw new InvalidOperationException($"Item() needs a one-element tensor, not shape {Shape}");
        return DType switch
        {
            DType.Float32 => ToArray<float>()[0],
            DType.Float64 => ToArray<double>()[0],
            _ => ToArray<int>()[0],
        };
    }

    public override string ToString()
    {
        if (IsDisposed) return $"Tensor{Shape} {DType} (disposed)";
        var text = new StringBuilder($"Tensor{Shape} {DType} {Device}");
        if (Count <= 16)
        {
            var values = DType switch
            {
                DType.Float32 => ToArray<float>().Select(v => v.ToString("G6")),
                DType.Float64 => ToArray<double>().Select(v => v.ToString("G6")),
                _ => ToArray<int>().Select(v => v.ToString()),
            };
            text.Append(" [").Append(string.Join(", ", values)).Append(']');
        }
        return text.ToString();
    }
}
