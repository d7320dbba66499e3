using NativeMtl.Raw;

namespace NativeMtl;

/// <summary>
/// Reverse-mode differentiation over the graph that differentiable functions record. Two entry points:
/// <see cref="Backward"/> accumulates into the <see cref="Tensor.Grad"/> of leaves, as PyTorch's
/// loss.backward(); <see cref="Grad(Tensor[], Tensor[], Tensor[], bool)"/> returns gradients with respect
/// to any tensors, leaves or intermediates, and walks only the part of the graph that leads to them.
/// A backward pass can be split at an intermediate z: Grad(loss_t, z) per head, combine, then
/// z.Backward(combined) once through the encoder.
/// </summary>
public static partial class Autograd
{
    /// <summary>
    /// Gives <paramref name="output"/> its tangent when an input carries one (forward mode), and records a node for
    /// it when recording is on and an input needs gradients (reverse mode).
    /// <para>Forward: <paramref name="jvp"/> gets each input's tangent (null for none) and returns the output's,
    /// from the inputs and output as they are now; it runs at once, with nothing recorded.</para>
    /// <para>Reverse: the node keeps a handle on each tensor of <paramref name="saved"/> (null entries save nothing)
    /// until its rule has run, so the caller may dispose its own handles at once; save only what the rule reads for
    /// the inputs that need a gradient (<see cref="NeedsGradient"/> tells which). The rule gets the output gradient,
    /// the saved tensors and which inputs need one, and returns a gradient of each input's shape (or null).</para>
    /// <para>Stacked (optional): the same rule for several output gradients at once, used by
    /// <see cref="BackwardStacked"/>; without one, that pass runs <paramref name="backward"/> once per gradient.</para>
    /// </summary>
    public static Tensor Record(string name, Tensor output, Tensor[] inputs, Tensor?[] saved, BackwardRule backward, JvpRule? jvp = null,
        StackedBackwardRule? stacked = null)
    {
        if (inputs.Any(i => i.Tangent is not null)) output.Tangent = Tangent(name, output, inputs, jvp);
        if (!GradMode.IsEnabled || !inputs.Any(i => i.RequiresGrad)) return output;
        var held = saved.Select(t => t?.SaveForBackward(name)).ToArray();
        output.GradFn = new Node(name, inputs.Select(EdgeTo).ToArray(), inputs.Select(i => i.Shape).ToArray(), held, backward, stacked);
        return output;
    }

    /// <summary>Runs a JVP rule in a scope of its own (its temporaries go at once), without recording, and gives the
    /// output a tangent handle of its own even when the rule passes an input's tangent through.</summary>
    private static Tensor Tangent(string name, Tensor output, Tensor[] inputs, JvpRule? jvp)
    {
        if (jvp is null) throw new InvalidOperationException($"{name} has no forward-mode (JVP) rule, and one of its inputs carries a tangent");
        using var scope = DisposeScope.Enter();
        using var _ = GradMode.NoGrad();
        var tangent = jvp(inputs.Select(i => i.Tangent).ToArray());
        if (tangent.Shape != output.Shape)
            throw new InvalidOperationException($"{name} forward-mode rule returned a tangent of shape {tangent.Shape} for an output of shape {output.Shape}");
        return tangent.Scope == scope && !inputs.Any(i => ReferenceEquals(i.Tangent, tangent)) ? tangent.DetachFromScope() : Ops.Alias(tangent).DetachFromScope();
    }

    /// <summary>Whether a function recorded now will need a gradient for <paramref name="input"/>: what decides
    /// which tensors its rule must save.</summary>
    public static bool NeedsGradient(Tensor input) => GradMode.IsEnabled && input.RequiresGrad;

    private static Edge EdgeTo(Tensor t) =>
        t.GradFn is Node node ? new Edge(node, null) : t.RequiresGrad ? new Edge(null, t) : default;

    /// <summary>Accumulates d(root)/d(leaf) into every leaf's Grad. A non-scalar root needs its gradient.</summary>
    public static void Backward(this Tensor root, Tensor? gradient = null, bool retainGraph = false) =>
        Backward([root], [gradient], retainGraph);

    /// <summary>One backward pass from several roots at once (each with its gradient, or none for a scalar):
    /// shared parts of the graph are walked once with the gradients summed. Each leaf's gradient is added to its
    /// <see cref="Tensor.Grad"/> as soon as it is complete, so no second set of gradients builds up.</summary>
    public static void Backward(Tensor[] roots, Tensor?[] gradients, bool retainGraph = false)
    {
        if (roots.Length != gradients.Length) throw new ArgumentException($"Backward: {roots.Length} roots but {gradients.Length} gradients");
        foreach (var root in roots)
            if (!root.RequiresGrad) throw new InvalidOperationException($"Backward: tensor {root.Shape} does not require gradients");
        Run(roots, gradients, requested: null, retainGraph, (leaf, grad) =>
        {
            if (leaf.Grad is null) leaf.Grad = Exclusive(grad);
            else
            {
                Ops.AddInto(leaf.Grad, grad);
                grad.Dispose();
            }
        });
    }

    /// <summary>One backward pass that adds each given leaf's gradient into its destination (a tensor of the
    /// leaf's shape: a row of a K×P matrix, say) as it arrives, and walks only the part of the graph that leads
    /// to those leaves. Leaves' own <see cref="Tensor.Grad"/> are left alone.</summary>
    public static void BackwardInto(Tensor[] roots, Tensor?[] gradients, IReadOnlyDictionary<Tensor, Tensor> destinations, bool retainGraph = false)
    {
        foreach (var (leaf, destination) in destinations)
            if (destination.Shape != leaf.Shape) throw new ShapeException("BackwardInto", $"destination {destination.Shape} differs from leaf {leaf.Name ?? ""}{leaf.Shape}");
        Backward(roots, gradients, [.. destinations.Keys], (leaf, grad) =>
        {
            using (grad) Ops.AddInto(destinations[leaf], grad);
        }, retainGraph);
    }

    /// <summary>One backward pass over the part of the graph that leads to <paramref name="leaves"/>, handing each
    /// gradient that reaches one of them to <paramref name="receive"/> the moment it arrives (a leaf reached along
    /// several paths receives several, which add up to its gradient). The receiver owns each tensor it gets and
    /// disposes it; nothing is held back until the pass ends.</summary>
    public static void Backward(Tensor[] roots, Tensor?[] gradients, Tensor[] leaves, Action<Tensor, Tensor> receive, bool retainGraph = false)
    {
        if (roots.Length != gradients.Length) throw new ArgumentException($"Backward: {roots.Length} roots but {gradients.Length} gradients");
        foreach (var leaf in leaves)
            if (!leaf.IsLeaf || !leaf.RequiresGrad) throw new InvalidOperationException($"Backward: {leaf.Name ?? ""}{leaf.Shape} is not a leaf that requires gradients");
        foreach (var g in Run(roots, gradients, leaves, retainGraph, receive).Values) g.Dispose();
    }

    /// <summary>Gradients of Σ outputs (each weighted by its gradOutput; scalars need none) with respect to
    /// each input, owned by the current disposal scope. An input the outputs do not reach gets zeros.</summary>
    public static Tensor[] Grad(Tensor[] outputs, Tensor[] inputs, Tensor[]? gradOutputs = null, bool retainGraph = false) =>
        GradOrNull(outputs, inputs, gradOutputs, retainGraph).Select((g, i) => g ?? Tensors.ZerosLike(inputs[i])).ToArray();

    /// <summary>As <see cref="Grad(Tensor[], Tensor[], Tensor[], bool)"/>, with null for each input the outputs do
    /// not reach, so a caller asking about many parameters allocates nothing for the unrelated ones.</summary>
    public static Tensor?[] GradOrNull(Tensor[] outputs, Tensor[] inputs, Tensor[]? gradOutputs = null, bool retainGraph = false)
    {
        if (gradOutputs is not null && gradOutputs.Length != outputs.Length)
            throw new ArgumentException($"Grad: {outputs.Length} outputs but {gradOutputs.Length} output gradients");
        foreach (var input in inputs)
            if (!input.RequiresGrad) throw new InvalidOperationException($"Grad: input {input.Name ?? ""}{input.Shape} does not require gradients");
        var leaves = new Dictionary<Tensor, Tensor>(ReferenceEqualityComparer.Instance);
        var captured = Run(outputs, gradOutputs ?? new Tensor?[outputs.Length], inputs, retainGraph, (leaf, grad) => Accumulate(leaves, leaf, grad));
        var result = inputs.Select(input =>
        {
            bool found = input.GradFn is Node node ? captured.Remove(node, out var g) : leaves.Remove(input, out g);
            return found ? Adopt(g!) : null;
        }).ToArray();
        foreach (var g in captured.Values.Concat(leaves.Values)) g.Dispose();
        return result;
    }

    public static Tensor Grad(Tensor output, Tensor input, bool retainGraph = false) => Grad([output], [input], null, retainGraph)[0];

    private static Tensor Seed(Tensor output, Tensor? gradient)
    {
        if (gradient is null)
        {
            if (output.Count != 1) throw new ShapeException("Backward", $"output {output.Shape} is not a scalar; pass its gradient");
            return Tensors.OnesLike(output).DetachFromScope();
        }
        if (gradient.Shape != output.Shape) throw new ShapeException("Backward", $"gradient {gradient.Shape} differs from output {output.Shape}");
        Ops.SameDType("Backward", output, gradient);
        return Ops.Clone(gradient).DetachFromScope();
    }

    private static Tensor Adopt(Tensor t) => DisposeScope.Current?.Adopt(t) ?? t;

    /// <summary>t itself when it is dense and no other handle shares its memory, else a private copy (t is consumed).</summary>
    private static Tensor Exclusive(Tensor t)
    {
        if (t.HasExclusiveStorage && t.IsContiguous) return t;
        using (t) return Ops.Clone(t).DetachFromScope();
    }

    /// <summary>
    /// Runs backward rules in dependency order (Kahn's algorithm). With <paramref name="requested"/> given,
    /// only nodes from which a requested tensor can be reached run, and the gradients arriving at requested
    /// intermediates are captured. The engine owns every gradient it holds (outside all scopes) and
    /// disposes it once passed on; each rule runs in a scope of its own, so its temporaries go at once.
    /// </summary>
    private static Dictionary<Node, Tensor> Run(
        Tensor[] outputs, Tensor?[] gradOutputs, Tensor[]? requested, bool retainGraph, Action<Tensor, Tensor> leafGradient)
    {
        var requestedNodes = requested?.Select(t => t.GradFn).OfType<Node>().ToHashSet() ?? [];
        var requestedLeaves = new HashSet<Tensor>(requested?.Where(t => t.IsLeaf) ?? [], ReferenceEqualityComparer.Instance);
        bool WantsLeaf(Tensor leaf) => requested is null || requestedLeaves.Contains(leaf);
        var roots = outputs.Select(o => o.GradFn as Node).ToArray();
        var execute = NodesToRun(roots, requested is null ? null : (requestedNodes, requestedLeaves));

        var dependencies = new Dictionary<Node, int>();
        foreach (var node in execute)
            foreach (var e in node.Next)
                if (e.Node is not null) dependencies[e.Node] = dependencies.GetValueOrDefault(e.Node) + 1;

        var pending = new Dictionary<Node, Tensor>();
        var captured = new Dictionary<Node, Tensor>();
        using (GradMode.NoGrad())
        {
            for (int i = 0; i < outputs.Length; i++)
            {
                var seed = Seed(outputs[i], gradOutputs[i]);
                if (roots[i] is { } root) Accumulate(pending, root, seed);
                else if (outputs[i].RequiresGrad && WantsLeaf(outputs[i])) leafGradient(outputs[i], seed);
                else seed.Dispose();
            }

            var ready = new Queue<Node>(roots.OfType<Node>().Distinct().Where(r => !dependencies.ContainsKey(r)));
            while (ready.Count > 0)
            {
                var node = ready.Dequeue();
                pending.Remove(node, out var gradOutput);
                // A second handle, not a copy: the rule below only reads the gradient.
                if (gradOutput is not null && requestedNodes.Contains(node))
                    captured[node] = Ops.Alias(gradOutput).DetachFromScope();
                if (!execute.Contains(node))
                {
                    gradOutput?.Dispose();
                    continue;
                }
                var grads = gradOutput is null ? new Tensor?[node.Next.Length] : RunRule(node, gradOutput, retainGraph);
                for (int i = 0; i < node.Next.Length; i++)
                {
                    var (child, leaf) = node.Next[i];
                    var g = grads[i];
                    if (child is not null)
                    {
                        if (g is not null) Accumulate(pending, child, g);
                        if (--dependencies[child] == 0) ready.Enqueue(child);
                    }
                    else if (leaf is not null && g is not null && WantsLeaf(leaf)) leafGradient(leaf, g);
                    else g?.Dispose();
                }
            }
            foreach (var g in pending.Values) g.Dispose();
        }
        return captured;
    }

    private static Tensor?[] RunRule(Node node, Tensor gradOutput, bool retainGraph)
    {
        Tensor?[] grads;
        using (var scope = DisposeScope.Enter())
        {
            grads = node.Backward(gradOutput);
            if (grads.Length != node.Next.Length)
                throw new InvalidOperationException($"{node.Name} backward returned {grads.Length} gradients for {node.Next.Length} inputs");
            var taken = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
            for (int i = 0; i < grads.Length; i++)
            {
                if (grads[i] is not { } g) continue;
                if (g.Shape != node.InputShapes[i])
                    throw new InvalidOperationException($"{node.Name} backward returned a gradient of shape {g.Shape} for input {i} of shape {node.InputShapes[i]}");
                // Each edge gets a handle of its own, made in this scope, so the engine can dispose it alone.
                grads[i] = (g.Scope == scope && taken.Add(g) ? g : Ops.Alias(g)).DetachFromScope();
            }
        }
        gradOutput.Dispose();
        if (!retainGraph) node.ReleaseSaved();
        return grads;
    }

    /// <summary>Adds a gradient into a running sum.</summary>
    private static void Accumulate<TKey>(Dictionary<TKey, Tensor> sums, TKey key, Tensor grad) where TKey : notnull =>
        sums[key] = sums.TryGetValue(key, out var sum) ? Sum(sum, grad) : grad;

    /// <summary>sum + grad, in place only where the sum shares memory with nothing else; both handles are consumed and the
    /// running sum returned.</summary>
    private static Tensor Sum(Tensor sum, Tensor grad)
    {
        using (grad)
        {
            if (sum.HasExclusiveStorage && sum.IsContiguous)
            {
                Ops.AddInto(sum, grad);
                return sum;
            }
            using (sum) return Ops.Add(sum, grad).DetachFromScope();
        }
    }

    /// <summary>Nodes reachable from the roots whose rule must run: all of them for Backward, and for Grad
    /// only those from which a requested tensor lies strictly below.</summary>
    private static HashSet<Node> NodesToRun(Node?[] roots, (HashSet<Node> Nodes, HashSet<Tensor> Leaves)? requested)
    {
        var reachable = new HashSet<Node>();
        var stack = new Stack<Node>(roots.OfType<Node>());
        while (stack.Count > 0)
        {
            var node = stack.Pop();
            if (!reachable.Add(node)) continue;
            foreach (var e in node.Next)
                if (e.Node is not null) stack.Push(e.Node);
        }
        if (requested is not { } want) return reachable;

        var leadsToRequested = new Dictionary<Node, bool>();
        bool Leads(Node n)
        {
            if (leadsToRequested.TryGetValue(n, out var known)) return known;
            leadsToRequested[n] = false;
            bool found = false;
            foreach (var (child, leaf) in n.Next)
                found |= (leaf is not null && want.Leaves.Contains(leaf)) || (child is not null && (want.Nodes.Contains(child) | Leads(child)));
            return leadsToRequested[n] = found;
        }
        return reachable.Where(Leads).ToHashSet();
    }
}
