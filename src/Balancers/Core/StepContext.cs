using NativeMtl.Kernels;
using NativeMtl.Models;
using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>
/// What a balancer works with during one training step, and the gradient services of each level. Every
/// service writes into the parameter arenas (which start the step at zero) or returns device tensors; none
/// reads a value back to the host. Counters record the backward passes, so tests and benchmarks can check
/// that a balancer asks for what its level promises and nothing more.
/// </summary>
public sealed class StepContext
{
    private readonly Dictionary<string, Tensor?[]> _headGradients = [];
    private readonly Tensor[] _headParameters;
    private readonly ulong _forwardDraws;
    private readonly bool _perClass;
    private bool _auxiliaryModulesDone;
    private Tensor? _lossVector;

    /// <param name="forwardDraws">Where the model's random stream stood when this step's forward pass began.</param>
    internal StepContext(MtlModel model, IReadOnlyList<BalancedTask> tasks, TaskLosses losses, ITaskObjective objective,
        Optimizer optimizer, int step, int stepsPerEpoch, ulong forwardDraws, bool perClass)
    {
        _forwardDraws = forwardDraws;
        _perClass = perClass;
        Model = model;
        Tasks = tasks;
        Current = losses;
        Objective = objective;
        Optimizer = optimizer;
        Step = step;
        StepsPerEpoch = stepsPerEpoch;
        _headParameters = model.ParameterGroups.Heads.SelectMany(g => g.Members.Select(m => m.Parameter.Value)).ToArray();
    }

    public MtlModel Model { get; }

    public IReadOnlyList<BalancedTask> Tasks { get; }

    public IEnumerable<BalancedTask> MainTasks => Tasks.Where(t => t.Role == TaskRole.Main);

    public IEnumerable<BalancedTask> AuxiliaryTasks => Tasks.Where(t => t.Role == TaskRole.Auxiliary);

    /// <summary>The losses of this step's forward pass.</summary>
    public TaskLosses Current { get; private set; }

    public ITaskObjective Objective { get; }

    public Optimizer Optimizer { get; }

    /// <summary>Steps completed before this one.</summary>
    public int Step { get; }

    public int StepsPerEpoch { get; }

    public int Epoch => Step / StepsPerEpoch;

    /// <summary>The learning rate of this step's update (α in AuxiLight).</summary>
    public double LearningRate => Optimizer.LearningRate;

    public ParameterGroup Encoder => Model.ParameterGroups.Encoder;

    public Tensor Loss(string task) => Current.Losses[task];

    /// <summary>Backward passes that reached the encoder, and ones that stopped at z.</summary>
    public int EncoderPasses { get; private set; }

    public int HeadPasses { get; private set; }

    /// <summary>The task losses as one differentiable [K] vector, in task order.</summary>
    public Tensor LossVector => _lossVector ??= F.Concat(0, Tasks.Select(t => F.Reshape(Loss(t.Name), 1)).ToArray());

    /// <summary>Σ w_k·L_k for a [K] vector of weights taken as constants.</summary>
    public Tensor WeightedSum(Tensor weights) => F.Sum(F.Mul(LossVector, F.Detach(weights)));

    /// <summary>Losses level: one backward pass of <paramref name="total"/> (plus the auxiliary modules' losses)
    /// into every arena.</summary>
    public void Backward(Tensor total)
    {
        EncoderPasses++;
        _auxiliaryModulesDone = true;
        (AuxiliaryModuleTotal() is { } auxiliary ? F.Add(total, auxiliary) : total).Backward();
    }

    /// <summary>∂L_t/∂p for each of a few parameters p, in one pass that walks only the graph between the loss and them.</summary>
    public Tensor[] ParameterGradients(string task, IReadOnlyList<Tensor> parameters)
    {
        HeadPasses++;
        return Autograd.Grad([Loss(task)], [.. parameters], retainGraph: true);
    }

    /// <summary>Look-ahead level: a backward pass of <paramref name="total"/> into every arena for a virtual step,
    /// without the auxiliary modules. It releases the graph, so the look-ahead passes that follow have its memory;
    /// <see cref="ForwardAgain"/> rebuilds it for the step's real backward pass.</summary>
    public void LookAheadBackward(Tensor total)
    {
        EncoderPasses++;
        total.Backward();
    }

    /// <summary>Look-ahead level: this step's forward pass once more, exactly as it first ran (the parameters must be
    /// back in place): the same dropout draws, and batch-norm statistics left as the first pass left them. Its losses
    /// replace <see cref="Current"/>.</summary>
    public void ForwardAgain()
    {
        Current = Replay();
        _lossVector = null;
    }

    /// <summary>
    /// Forward mode: ⟨∇_θenc ℓ, <paramref name="direction"/>⟩ for every scalar ℓ that <paramref name="select"/> picks
    /// from the losses of <paramref name="tasks"/>, all from one forward pass: this step's pass run again exactly (see
    /// <see cref="ForwardAgain"/>) for those tasks only, recording nothing, with the encoder's parameters carrying the
    /// tangent <paramref name="direction"/> ([P], laid out as the arena). Returns them as one vector, in the order picked.
    /// </summary>
    public Tensor DirectionalDerivatives(Tensor direction, IReadOnlyCollection<string> tasks, Func<TaskLosses, IReadOnlyList<Tensor>> select)
    {
        var parameters = Encoder.Members.Select(m => m.Parameter.Value).ToArray();
        var slots = EncoderSlots(direction);
        try
        {
            for (int i = 0; i < parameters.Length; i++) parameters[i].Tangent = Ops.Alias(slots[i]);
            using var scope = DisposeScope.Enter();
            using var _ = GradMode.NoGrad();
            var losses = Replay(tasks);
            return Ops.Concat(0, select(losses).Select(l => Ops.Reshape(l.Tangent ?? Tensors.ZerosLike(l), -1)).ToArray()).MoveToOuterScope();
        }
        finally
        {
            foreach (var p in parameters) p.Tangent = null;
        }
    }

    /// <summary>This step's forward pass again (for some tasks only, if given): the model's random stream rewound to where
    /// the pass began (and put back where it was), the batch-norm running statistics restored to what the first pass left.</summary>
    private TaskLosses Replay(IReadOnlyCollection<string>? tasks = null)
    {
        var generator = Model.Generator;
        ulong resume = generator.Offset;
        var buffers = Model.NamedBuffers().Select(b => (b.Buffer, Copy: Ops.Clone(b.Buffer))).ToArray();
        generator.Offset = _forwardDraws;
        try
        {
            return Objective.Evaluate(lookAheadBatch: false, perClass: _perClass, tasks);
        }
        finally
        {
            generator.Offset = resume;
            foreach (var (buffer, copy) in buffers)
            {
                Ops.CopyInto(copy, buffer);
                copy.Dispose();
            }
        }
    }

    /// <summary>Look-ahead level: a forward pass of the look-ahead batch and a backward pass of its main-task loss
    /// into every arena, at the parameters as they are now.</summary>
    public void BackwardMainLossOnLookAheadBatch()
    {
        EncoderPasses++;
        // Its activations go as soon as the gradients are in the arenas, not at the end of the step.
        using var scope = DisposeScope.Enter();
        var lookAhead = Objective.Evaluate(lookAheadBatch: true, perClass: false);
        MainTasks.Select(t => lookAhead.Losses[t.Name]).Aggregate(F.Add).Backward();
    }

    /// <summary>Look-ahead level: the task losses [K] of this step's batch at the parameters as they are now,
    /// without recording a graph.</summary>
    public Tensor EvaluateLosses()
    {
        using var scope = DisposeScope.Enter();
        using var _ = GradMode.NoGrad();
        var losses = Objective.Evaluate(lookAheadBatch: false, perClass: false);
        return Ops.Concat(0, Tasks.Select(t => Ops.Reshape(losses.Losses[t.Name], 1)).ToArray()).MoveToOuterScope();
    }

    /// <summary>∂L_t/∂z at the shared feature, and this task's gradients of every parameter after z (kept for
    /// <see cref="ApplyHeadGradients"/>), in one pass that stops at z.</summary>
    public Tensor FeatureGradient(string task)
    {
        HeadPasses++;
        var z = Current.SharedFeature;
        var grads = Autograd.GradOrNull([Loss(task)], [z, .. _headParameters], retainGraph: true);
        _headGradients[task] = grads[1..];
        return grads[0] ?? Tensors.ZerosLike(z);
    }

    /// <summary>Feature level, last: one backward pass from z with the combined feature gradient (and the
    /// auxiliary modules' losses) through the encoder.</summary>
    public void BackwardEncoder(Tensor featureGradient)
    {
        EncoderPasses++;
        _auxiliaryModulesDone = true;
        var z = Current.SharedFeature;
        if (AuxiliaryModuleTotal() is { } auxiliary) Autograd.Backward([z, auxiliary], [featureGradient, null]);
        else z.Backward(featureGradient);
    }

    /// <summary>Parameters level: ∂L_t/∂θ_encoder for each task as the rows of a K×P matrix, and each task's
    /// gradients of the parameters after z (kept for <see cref="ApplyHeadGradients"/>). One pass per task.</summary>
    public Tensor SharedGradients(IReadOnlyList<string> tasks) =>
        GradientRows(tasks.Select(Loss).ToList(), tasks);

    /// <summary>∂ℓ/∂θ_encoder for each given scalar ℓ (per-class losses, say) as the rows of a matrix; the
    /// parameters after z are not touched.</summary>
    public Tensor SharedGradientsOf(IReadOnlyList<Tensor> losses) => GradientRows(losses, null);

    /// <summary>Parameters level, streamed: one backward pass of a task's loss that hands each encoder parameter's
    /// gradient ∂L_t/∂p to <paramref name="receive"/> (with p's index in the encoder's members) the moment it arrives,
    /// and adds the task's gradients of the parameters after z straight into their arenas, scaled by the task's entry
    /// of <paramref name="headWeights"/> ([K], in task order). A parameter reached along several paths is received
    /// once per path. Each gradient is disposed when the receiver returns: nothing P-sized is held.</summary>
    public void StreamSharedGradient(string task, Tensor headWeights, Action<int, Tensor> receive)
    {
        int k = Tasks.Select(t => t.Name).ToList().IndexOf(task);
        if (k < 0) throw new ArgumentException($"task '{task}' is not one of the step's tasks");
        var weight = Ops.Reshape(Ops.Slice(headWeights, 0, k, k + 1), []);
        var members = Encoder.Members.Select((m, i) => (m.Parameter.Value, i)).ToDictionary(e => e.Value, e => e.i);
        EncoderPasses++;
        Autograd.Backward([Loss(task)], [null], [.. members.Keys, .. _headParameters], (leaf, g) =>
        {
            using (g)
            {
                if (members.TryGetValue(leaf, out int member)) receive(member, g);
                else
                {
                    using var scaled = Ops.Mul(g, weight);
                    Ops.AddInto(leaf.Grad!, scaled);
                }
            }
        }, retainGraph: true);
    }

    /// <summary>Parameters level, layerwise (DESIGN §14): the K×K Gram matrix G[i, j] = ⟨∂L_i/∂θ_encoder, ∂L_j/∂θ_encoder⟩
    /// (Float64) of the given tasks from one backward pass that carries their K gradients stacked: each encoder parameter
    /// adds its K gradients' inner products to G the moment they are complete and drops them, so no K×P matrix exists.
    /// Each task's gradients of the parameters after z are kept for <see cref="ApplyHeadGradients"/>; the graph stays for
    /// <see cref="BackwardCombination"/>.</summary>
    public Tensor LayerwiseGram(IReadOnlyList<string> tasks)
    {
        var gram = Tensors.Zeros(new Shape(tasks.Count, tasks.Count), DType.Float64, Encoder.Values.Device);
        var encoder = new HashSet<Tensor>(Encoder.Members.Select(m => m.Parameter.Value), ReferenceEqualityComparer.Instance);
        var heads = tasks.Select(_ => new Tensor?[_headParameters.Length]).ToArray();
        EncoderPasses++;
        Autograd.BackwardStacked(tasks.Select(Loss).ToArray(), [.. encoder, .. _headParameters], (leaf, roots, rows) =>
        {
            // A scope of its own, so that no view outlives the rows unless kept: a head's row stays for ApplyHeadGradients.
            using var scope = DisposeScope.Enter();
            using (rows)
            {
                if (encoder.Contains(leaf)) AddGram(gram, roots, Ops.Cast(Ops.GradientGram(Ops.Reshape(rows, roots.Length, -1)), DType.Float64));
                else
                    for (int r = 0; r < roots.Length; r++)
                        heads[roots[r]][Array.IndexOf(_headParameters, leaf)] = Ops.Reshape(Ops.Slice(rows, 0, r, r + 1), leaf.Shape.ToArray()).MoveToOuterScope();
            }
        }, retainGraph: true);
        for (int k = 0; k < tasks.Count; k++) _headGradients[tasks[k]] = heads[k];
        return gram;
    }

    /// <summary>G[roots[a], roots[b]] += part[a, b].</summary>
    private static void AddGram(Tensor gram, int[] roots, Tensor part)
    {
        if (roots.Length == gram.Shape[0])
        {
            Ops.AddInto(gram, part);
            return;
        }
        for (int a = 0; a < roots.Length; a++)
            for (int b = 0; b < roots.Length; b++)
                Ops.AddInto(Ops.Slice(Ops.Slice(gram, 0, roots[a], roots[a] + 1), 1, roots[b], roots[b] + 1), Ops.Slice(Ops.Slice(part, 0, a, a + 1), 1, b, b + 1));
    }

    /// <summary>Parameters level, layerwise, last: one backward pass of Σ_k c_k·L_k (c a [K] vector in the order of
    /// <paramref name="tasks"/>, taken as constants) into the encoder's arena only; the heads take what
    /// <see cref="ApplyHeadGradients"/> gives them.</summary>
    public void BackwardCombination(IReadOnlyList<string> tasks, Tensor coefficients)
    {
        EncoderPasses++;
        var total = F.Sum(F.Mul(F.Concat(0, tasks.Select(t => F.Reshape(Loss(t), 1)).ToArray()), F.Detach(coefficients)));
        Autograd.Backward([total], [null], Encoder.Members.Select(m => m.Parameter.Value).ToArray(), (leaf, g) =>
        {
            using (g) Ops.AddInto(leaf.Grad!, g);
        }, retainGraph: true);
    }

    /// <summary>Views of a [P] row laid out as the encoder's arena, one per member, each shaped like its parameter.</summary>
    public IReadOnlyList<Tensor> EncoderSlots(Tensor row)
    {
        if (row.Shape != new Shape((int)Encoder.Size)) throw new ShapeException("EncoderSlots", $"row {row.Shape} is not [{Encoder.Size}]");
        return Encoder.Members.Select(m => Ops.Reshape(Ops.Slice(row, 0, (int)m.Offset, (int)(m.Offset + m.Parameter.Value.Count)), m.Parameter.Shape.ToArray())).ToList();
    }

    private Tensor GradientRows(IReadOnlyList<Tensor> losses, IReadOnlyList<string>? headsFor)
    {
        var matrix = Tensors.Zeros(new Shape(losses.Count, (int)Encoder.Size), Encoder.Values.DType, Encoder.Values.Device);
        matrix.MemoryRole = MemoryRole.BalancerBuffer;
        for (int row = 0; row < losses.Count; row++)
        {
            EncoderPasses++;
            var slots = Encoder.Members.Select(m => m.Parameter.Value).Zip(EncoderSlots(Ops.Reshape(Ops.Slice(matrix, 0, row, row + 1), -1)))
                .ToDictionary(e => e.First, e => e.Second);
            var heads = new Dictionary<Tensor, Tensor>();
            // Each encoder gradient lands in its row as it arrives; head gradients are kept per task for ApplyHeadGradients.
            Autograd.Backward([losses[row]], [null], [.. slots.Keys, .. headsFor is null ? [] : _headParameters], (leaf, g) =>
            {
                if (slots.TryGetValue(leaf, out var slot))
                {
                    using (g) Ops.AddInto(slot, g);
                }
                else if (heads.Remove(leaf, out var sum))
                {
                    using (g) Ops.AddInto(sum, g);
                    heads[leaf] = sum;
                }
                else heads[leaf] = DisposeScope.Current?.Adopt(g) ?? g;
            }, retainGraph: true);
            if (headsFor is not null) _headGradients[headsFor[row]] = _headParameters.Select(p => heads.GetValueOrDefault(p)).ToArray();
        }
        return matrix;
    }

    /// <summary>Adds ∂total/∂θ for every parameter after z into their arenas, in a pass that stops at z.</summary>
    public void BackwardHeads(Tensor total)
    {
        HeadPasses++;
        var grads = Autograd.GradOrNull([total], _headParameters, retainGraph: true);
        for (int i = 0; i < grads.Length; i++)
            if (grads[i] is { } g) Ops.AddInto(_headParameters[i].Grad!, g);
    }

    /// <summary>Adds Σ w_k·(task k's gradients of the parameters after z) into their arenas, for a [K] weight
    /// vector, from the gradients <see cref="FeatureGradient"/> or <see cref="SharedGradients"/> kept.</summary>
    public void ApplyHeadGradients(Tensor weights)
    {
        for (int k = 0; k < Tasks.Count; k++)
        {
            if (!_headGradients.TryGetValue(Tasks[k].Name, out var grads)) continue;
            var w = Ops.Reshape(Ops.Slice(weights, 0, k, k + 1), []);
            for (int i = 0; i < grads.Length; i++)
                if (grads[i] is { } g) Ops.AddInto(_headParameters[i].Grad!, Ops.Mul(g, w));
        }
    }

    /// <summary>Parameters level, last: adds a [P] gradient into the encoder's arena.</summary>
    public void AddSharedGradient(Tensor gradient) => Ops.AddInto(Encoder.Grads, gradient);

    /// <summary>Runs the auxiliary modules' backward pass if no service included it yet.</summary>
    internal void FinishAuxiliaryModules()
    {
        if (_auxiliaryModulesDone) return;
        _auxiliaryModulesDone = true;
        if (AuxiliaryModuleTotal() is not { } auxiliary) return;
        EncoderPasses++;
        auxiliary.Backward();
    }

    private Tensor? AuxiliaryModuleTotal() =>
        Current.AuxiliaryModuleLosses.Values.Aggregate((Tensor?)null, (sum, l) => sum is null ? l : F.Add(sum, l));
}
