using NativeMtl.Kernels;

namespace NativeMtl;

/// <summary>A device buffer shared by a tensor and its views; freed when the last of them is disposed. It knows
/// its role and how many graph nodes hold it, so the memory counters can say what its bytes are for.</summary>
internal sealed class Storage
{
    private readonly object _gate = new();
    private int _references = 1;
    private int _heldByNodes;
    private string? _savedBy;
    private MemoryRole _role;

    public Storage(IBackend backend, long byteLength)
    {
        Backend = backend;
        Buffer = backend.Allocate(byteLength);
        MemoryCounters.Move(byteLength, null, Account);
    }

    public IBackend Backend { get; }

    public DeviceBuffer Buffer { get; }

    /// <summary>True while a single tensor handle refers to this storage.</summary>
    public bool IsExclusive => Volatile.Read(ref _references) == 1;

    public MemoryRole Role
    {
        get => _role;
        set => Change(() => _role = value);
    }

    public Storage AddReference()
    {
        Interlocked.Increment(ref _references);
        return this;
    }

    public void Release()
    {
        if (Interlocked.Decrement(ref _references) != 0) return;
        MemoryCounters.Move(Buffer.ByteLength, Account, null);
        Buffer.Dispose();
    }

    /// <summary>A graph node of kind <paramref name="op"/> holds this storage from now on.</summary>
    public void HeldByNode(string op) => Change(() =>
    {
        _heldByNodes++;
        _savedBy ??= op;
    });

    /// <summary>A graph node let go of this storage.</summary>
    public void LetGoByNode() => Change(() =>
    {
        if (--_heldByNodes == 0) _savedBy = null;
    });

    private MemoryCounters.Account Account => new(
        _role switch
        {
            MemoryRole.Parameter => MemoryCounters.Category.Parameter,
            MemoryRole.Gradient => MemoryCounters.Category.Gradient,
            MemoryRole.OptimizerState => MemoryCounters.Category.OptimizerState,
            MemoryRole.BalancerBuffer => MemoryCounters.Category.BalancerBuffer,
            MemoryRole.Data => MemoryCounters.Category.Data,
            _ => _heldByNodes > 0 ? MemoryCounters.Category.Saved : MemoryCounters.Category.Transient,
        },
        _savedBy, _heldByNodes > 0);

    private void Change(Action change)
    {
        lock (_gate)
        {
            var before = Account;
            change();
            var after = Account;
            if (before != after) MemoryCounters.Move(Buffer.ByteLength, before, after);
        }
    }
}
