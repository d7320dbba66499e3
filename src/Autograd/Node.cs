namespace NativeMtl;

/// <summary>Where a gradient goes from a node: into the node that produced an input, or into a leaf's
/// gradient. Neither, when the input needs no gradient.</summary>
internal readonly record struct Edge(Node? Node, Tensor? Leaf)
{
    public bool IsNone => Node is null && Leaf is null;
}

/// <summary>
/// The record of one differentiable op: its backward rule, the tensors it saved for that rule, and an edge per
/// input. A node belongs to exactly one output tensor, so the gradient arriving at a node is the gradient with
/// respect to that tensor.
/// <para>Lifetime, as PyTorch's graph has it: a node is referenced by its output tensor and by every later node
/// with an edge to it. When the last reference goes, its saved tensors are released and it lets go of the nodes
/// before it. So an intermediate whose handle is disposed keeps only what later rules read, a graph nobody can
/// reach any more frees itself at once, and a backward pass releases each node's saved tensors as it passes.</para>
/// </summary>
internal sealed class Node : IGradFn
{
    private BackwardRule? _backward;
    private StackedBackwardRule? _stacked;
    private Tensor?[] _saved;
    private int _references = 1;

    public Node(string name, Edge[] next, Shape[] inputShapes, Tensor?[] saved, BackwardRule backward, StackedBackwardRule? stacked)
    {
        Name = name;
        Next = next;
        InputShapes = inputShapes;
        _saved = saved;
        _backward = backward;
        _stacked = stacked;
        foreach (var edge in next) edge.Node?.AddReference();
    }

    public string Name { get; }

    public Edge[] Next { get; }

    /// <summary>The shape each input had, which its gradient must have.</summary>
    public Shape[] InputShapes { get; }

    /// <summary>Gradients for each input (null where an input needs none), given the output's gradient.
    /// After a backward pass without retainGraph the saved tensors are gone and this throws.</summary>
    public Tensor?[] Backward(Tensor gradOutput)
    {
        var rule = _backward ?? throw new InvalidOperationException(
            $"backward through {Name} a second time: its saved tensors were released; pass retainGraph: true to the first pass");
        return rule(gradOutput, _saved, NeedsGradient);
    }

    /// <summary>Whether the op gave a rule that takes several output gradients at once (<see cref="BackwardStacked"/>).</summary>
    public bool HasStackedRule => _stacked is not null;

    /// <summary>Gradients [m, …input shape] for each input, given m output gradients stacked as [m, …output shape].</summary>
    public Tensor?[] BackwardStacked(Tensor gradOutputs)
    {
        var rule = _stacked ?? throw new InvalidOperationException($"{Name} has no stacked backward rule");
        return rule(gradOutputs, _saved, NeedsGradient);
    }

    private bool[] NeedsGradient => Next.Select(e => !e.IsNone).ToArray();

    /// <summary>Disposes the saved tensors: their memory goes unless another handle still holds it.</summary>
    public void ReleaseSaved()
    {
        _backward = null;
        _stacked = null;
        foreach (var t in _saved) t?.Dispose();
        _saved = [];
    }

    public void OutputReleased() => Unreference(this);

    private void AddReference() => Interlocked.Increment(ref _references);

    /// <summary>Drops one reference; a node left with none releases what it saved and drops its own references to
    /// the nodes before it (iteratively, so a long chain cannot overflow the stack).</summary>
    private static void Unreference(Node first)
    {
        var pending = new Stack<Node>();
        pending.Push(first);
        while (pending.Count > 0)
        {
            var node = pending.Pop();
            if (Interlocked.Decrement(ref node._references) != 0) continue;
            node.ReleaseSaved();
            foreach (var edge in node.Next)
                if (edge.Node is { } before) pending.Push(before);
        }
    }

    public override string ToString() => Name;
}

/// <summary>A differentiable function's forward-mode rule: each input's tangent (null for a zero tangent) to the output's
/// tangent, J·v. It runs during the forward pass, so it may read the inputs and the output directly.</summary>
public delegate Tensor JvpRule(IReadOnlyList<Tensor?> tangents);

/// <summary>A differentiable function's backward rule: the gradient of its output, the tensors it saved (in the
/// order it gave them, null where it saved nothing) and which inputs need a gradient, to a gradient per input
/// (null where none is needed). A rule reads tensor data only through <paramref name="saved"/>: the inputs' own
/// handles may be gone by the time it runs.</summary>
public delegate Tensor?[] BackwardRule(Tensor gradOutput, IReadOnlyList<Tensor?> saved, bool[] needsGradient);

/// <summary>A backward rule for m output gradients at once, stacked on a new leading axis ([m, …output shape]); it
/// returns each input's m gradients stacked the same way ([m, …input shape], or null where none is needed). What an op
/// gives when its m backward calls can be one call (a convolution takes the m gradients as a batch m times larger), so
/// a pass that carries several roots' gradients together runs it once per op instead of once per root.</summary>
public delegate Tensor?[] StackedBackwardRule(Tensor gradOutputs, IReadOnlyList<Tensor?> saved, bool[] needsGradient);
