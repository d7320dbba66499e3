using NativeMtl.Raw;

namespace NativeMtl;

public static partial class Autograd
{
    /// <summary>
    /// One backward pass that carries the gradients of several scalar roots together (TorchJD's autogram idea, DESIGN
    /// §14): what reaches a node is its gradient from each root that leads to it, stacked on a new leading axis, so a
    /// task's head carries one row and a shared trunk all of them. An op with a stacked rule
    /// (<see cref="StackedBackwardRule"/>) runs once for all rows, any other once per row. Each leaf of
    /// <paramref name="leaves"/> is handed its complete gradients once, the moment the last of them arrives: the roots
    /// they belong to (ascending indices into <paramref name="roots"/>) and the rows [m, …leaf shape]. The receiver owns
    /// the rows and disposes them; so the per-root gradients of all leaves never exist together, only one op's rows.
    /// </summary>
    public static void BackwardStacked(Tensor[] roots, Tensor[] leaves, Action<Tensor, int[], Tensor> receive, bool retainGraph = false)
    {
        foreach (var root in roots)
            if (root.Count != 1 || root.GradFn is not Node)
                throw new InvalidOperationException($"BackwardStacked: root {root.Shape} is not a computed scalar that requires gradients");
        foreach (var leaf in leaves)
            if (!leaf.IsLeaf || !leaf.RequiresGrad) throw new InvalidOperationException($"BackwardStacked: {leaf.Name ?? ""}{leaf.Shape} is not a leaf that requires gradients");
        var wanted = new HashSet<Tensor>(leaves, ReferenceEqualityComparer.Instance);
        var rootNodes = roots.Select(r => (Node)r.GradFn!).ToArray();
        var execute = NodesToRun(rootNodes, ([], wanted));

        var dependencies = new Dictionary<Node, int>();
        var arrivalsLeft = new Dictionary<Tensor, int>(ReferenceEqualityComparer.Instance);
        foreach (var node in execute)
            foreach (var (child, leaf) in node.Next)
            {
                if (child is not null) dependencies[child] = dependencies.GetValueOrDefault(child) + 1;
                else if (leaf is not null && wanted.Contains(leaf)) arrivalsLeft[leaf] = arrivalsLeft.GetValueOrDefault(leaf) + 1;
            }

        var pending = new Dictionary<Node, StackedRows>();
        var atLeaves = new Dictionary<Tensor, StackedRows>(ReferenceEqualityComparer.Instance);
        using (GradMode.NoGrad())
        {
            for (int i = 0; i < roots.Length; i++)
                StackedRows.Merge(pending, rootNodes[i], new StackedRows([i], Tensors.Ones(new Shape([1, .. roots[i].Shape.ToArray()]), roots[i].DType, roots[i].Device).DetachFromScope()));

            var ready = new Queue<Node>(rootNodes.Distinct().Where(r => !dependencies.ContainsKey(r)));
            while (ready.Count > 0)
            {
                var node = ready.Dequeue();
                pending.Remove(node, out var rows);
                if (!execute.Contains(node))
                {
                    rows?.Dispose();
                    continue;
                }
                var grads = rows is null ? new StackedRows?[node.Next.Length] : RunStackedRule(node, rows, retainGraph);
                for (int i = 0; i < node.Next.Length; i++)
                {
                    var (child, leaf) = node.Next[i];
                    var g = grads[i];
                    if (child is not null)
                    {
                        if (g is not null) StackedRows.Merge(pending, child, g);
                        if (--dependencies[child] == 0) ready.Enqueue(child);
                    }
                    else if (leaf is not null && wanted.Contains(leaf))
                    {
                        if (g is not null) StackedRows.Merge(atLeaves, leaf, g);
                        if (--arrivalsLeft[leaf] == 0 && atLeaves.Remove(leaf, out var complete)) receive(leaf, complete.Roots, complete.Values);
                    }
                    else g?.Dispose();
                }
            }
            foreach (var g in pending.Values) g.Dispose();
        }
    }

    /// <summary>A node's rule on stacked gradients: its stacked rule when it has one, else its rule once per row.</summary>
    private static StackedRows?[] RunStackedRule(Node node, StackedRows rows, bool retainGraph)
    {
        int m = rows.Roots.Length;
        Tensor?[] grads;
        using (var scope = DisposeScope.Enter())
        {
            grads = node.HasStackedRule ? node.BackwardStacked(rows.Values) : RowByRow(node, rows.Values);
            if (grads.Length != node.Next.Length)
                throw new InvalidOperationException($"{node.Name} stacked backward returned {grads.Length} gradients for {node.Next.Length} inputs");
            var taken = new HashSet<Tensor>(ReferenceEqualityComparer.Instance);
            for (int i = 0; i < grads.Length; i++)
            {
                if (grads[i] is not { } g) continue;
                var expected = new Shape([m, .. node.InputShapes[i].ToArray()]);
                if (g.Shape != expected)
                    throw new InvalidOperationException($"{node.Name} stacked backward returned gradients of shape {g.Shape} for input {i}, expected {expected}");
                grads[i] = (g.Scope == scope && taken.Add(g) ? g : Ops.Alias(g)).DetachFromScope();
            }
        }
        rows.Dispose();
        if (!retainGraph) node.ReleaseSaved();
        return grads.Select(g => g is null ? null : new StackedRows(rows.Roots, g)).ToArray();
    }

    /// <summary>The node's ordinary rule on each row in turn, each result copied into its row of the input's stack as it
    /// comes (the row's temporaries go before the next row runs).</summary>
    private static Tensor?[] RowByRow(Node node, Tensor gradOutputs)
    {
        int m = gradOutputs.Shape[0];
        var outputShape = gradOutputs.Shape.ToArray()[1..];
        var stacks = new Tensor?[node.Next.Length];
        for (int r = 0; r < m; r++)
        {
            using var row = DisposeScope.Enter();
            var grads = node.Backward(Ops.Reshape(Ops.Slice(gradOutputs, 0, r, r + 1), outputShape));
            if (grads.Length != stacks.Length)
                throw new InvalidOperationException($"{node.Name} backward returned {grads.Length} gradients for {stacks.Length} inputs");
            for (int i = 0; i < grads.Length; i++)
            {
                if (grads[i] is not { } g) continue;
                stacks[i] ??= Tensors.Zeros(new Shape([m, .. node.InputShapes[i].ToArray()]), g.DType, g.Device).MoveToOuterScope();
                Ops.CopyInto(g, Ops.Slice(stacks[i]!, 0, r, r + 1));
            }
        }
        return stacks;
    }

    /// <summary>Gradients from several roots stacked as rows: row r is the gradient from root Roots[r] (ascending). The
    /// engine owns the values outside every scope.</summary>
    private sealed record StackedRows(int[] Roots, Tensor Values) : IDisposable
    {
        public void Dispose() => Values.Dispose();

        /// <summary>Adds rows into a running sum: as <see cref="Autograd.Sum"/> does where the roots agree, else into a new
        /// stack over the union of the roots (a root missing from one side contributes zeros there).</summary>
        public static void Merge<TKey>(Dictionary<TKey, StackedRows> sums, TKey key, StackedRows rows) where TKey : notnull
        {
            if (!sums.TryGetValue(key, out var sum))
            {
                sums[key] = rows;
                return;
            }
            if (sum.Roots.SequenceEqual(rows.Roots))
            {
                sums[key] = sum with { Values = Sum(sum.Values, rows.Values) };
                return;
            }
            using var scope = DisposeScope.Enter();
            var union = sum.Roots.Union(rows.Roots).Order().ToArray();
            var values = Tensors.Zeros(new Shape([union.Length, .. sum.Values.Shape.ToArray()[1..]]), sum.Values.DType, sum.Values.Device);
            foreach (var part in new[] { sum, rows })
                for (int r = 0; r < part.Roots.Length; r++)
                {
                    int at = Array.IndexOf(union, part.Roots[r]);
                    Ops.AddInto(Ops.Slice(values, 0, at, at + 1), Ops.Slice(part.Values, 0, r, r + 1));
                }
            sum.Dispose();
            sums[key] = new StackedRows(union, values.DetachFromScope());
            rows.Dispose();
        }
    }
}
