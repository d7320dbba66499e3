namespace NativeMtl;

/// <summary>Where a gradient goes from a node: into the node that produced an input, or into a leaf's
/// gradient. Neither, when the input needs no gradient.</summary>
internal readonly record struct Edge(Node? Node, Tensor? Leaf)
{
    public bool IsNone => Node is null && Leaf is null;
}

/// <summary>
/// The record of one differentiable op: its backward rule (a closure over the tensors the forward saved)
/// and an edge per input. A node belongs to exactly one output tensor, so the gradient arriving at a node
/// is the gradient with respect to that tensor.
/// </summary>
internal sealed class Node : IGradFn
{
    private Func<Tensor, bool[], Tensor?[]>? _backward;

    public Node(string name, Edge[] next, Shape[] inputShapes, Func<Tensor, bool[], Tensor?[]> backward)
    {
        Name = name;
        Next = next;
        InputShapes = inputShapes;
        _backward = backward;
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
        return rule(gradOutput, Next.Select(e => !e.IsNone).ToArray());
    }

    /// <summary>Drops the saved tensors so their memory can go once their scope ends.</summary>
    public void Release() => _backward = null;

    public override string ToString() => Name;
}
