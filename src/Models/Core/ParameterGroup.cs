using NativeMtl.Raw;

namespace NativeMtl.Models;

/// <summary>
/// The parameters of one part of a model (the shared encoder, one head) in a single contiguous buffer,
/// with their gradients in a second one. Each parameter's value and gradient are views into these
/// arenas, so an optimizer updates a whole group with one kernel, and per-task gradients of a group are
/// rows of a K×P matrix instead of lists of tensors.
/// </summary>
public sealed class ParameterGroup : IDisposable
{
    private readonly List<(string Path, Parameter Parameter, long Offset)> _members = [];

    /// <summary>Moves the given parameters into new arenas; their current values are kept.</summary>
    public ParameterGroup(string name, IEnumerable<(string Path, Parameter Parameter)> parameters)
    {
        Name = name;
        var list = parameters.ToList();
        if (list.Count == 0) throw new ArgumentException($"parameter group '{name}' has no parameters");
        var first = list[0].Parameter.Value;
        foreach (var (path, p) in list)
            if (p.Value.DType != first.DType || p.Value.Device != first.Device)
                throw new ArgumentException($"parameter group '{name}': {path} is {p.Value.DType} on {p.Value.Device}, the group is {first.DType} on {first.Device}");

        long size = list.Sum(m => m.Parameter.Value.Count);
        Values = Tensors.Empty(new Shape(checked((int)size)), first.DType, first.Device).DetachFromScope();
        Values.MemoryRole = MemoryRole.Parameter;
        Grads = Tensors.Zeros(new Shape(checked((int)size)), first.DType, first.Device).DetachFromScope();
        Grads.MemoryRole = MemoryRole.Gradient;
        long offset = 0;
        foreach (var (path, p) in list)
        {
            var old = p.Value;
            var value = ArenaView(Values, offset, old.Shape);
            Ops.CopyInto(old, value);
            value.RequiresGrad = true;
            value.Name = path;
            value.Grad = ArenaView(Grads, offset, old.Shape);
            p.Value = value;
            old.Dispose();
            _members.Add((path, p, offset));
            offset += old.Count;
        }
    }

    public string Name { get; }

    /// <summary>All values, flat: [P].</summary>
    public Tensor Values { get; }

    /// <summary>All gradients, flat: [P]. Backward passes accumulate here.</summary>
    public Tensor Grads { get; }

    public long Size => Values.Count;

    public IReadOnlyList<(string Path, Parameter Parameter, long Offset)> Members => _members;

    /// <summary>Zeroes every gradient in one fill (the views stay attached).</summary>
    public void ZeroGrad() => Ops.FillInto(Grads, 0);

    private static Tensor ArenaView(Tensor arena, long offset, Shape shape)
    {
        using var flat = Ops.Slice(arena, 0, (int)offset, (int)(offset + shape.Count)).DetachFromScope();
        return Ops.Reshape(flat, shape.ToArray()).DetachFromScope();
    }

    public void Dispose()
    {
        foreach (var (_, p, _) in _members) p.Value.Dispose();
        Values.Dispose();
        Grads.Dispose();
    }
}
