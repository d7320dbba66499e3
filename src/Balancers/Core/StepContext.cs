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
    private bool _auxiliaryModulesDone;
    private Tensor? _lossVector;

    internal StepContext(MtlModel model, IReadOnlyList<BalancedTask> tasks, TaskLosses losses, ITaskObjective objective,
        Optimizer optimizer, int step, int stepsPerEpoch)
    {
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
    public TaskLosses Current { get; }

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

    /// <summary>∂L_t/∂p for one parameter p, in a pass that walks only the graph between the loss and p.</summary>
    public Tensor ParameterGradient(string task, Tensor parameter)
    {
        HeadPasses++;
        return Autograd.Grad(Loss(task), parameter, retainGraph: true);
    }

    /// <summary>Look-ahead level: a backward pass of <paramref name="total"/> into every arena that keeps the graph
    /// (the step's real backward pass follows on it); the auxiliary modules are not included.</summary>
    public void BackwardKeepingGraph(Tensor total)
    {
        EncoderPasses++;
        total.Backward(retainGraph: true);
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
        var z = Current.Output.SharedFeature;
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
        var z = Current.Output.SharedFeature;
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

    private Tensor GradientRows(IReadOnlyList<Tensor> losses, IReadOnlyList<string>? headsFor)
    {
        var members = Encoder.Members;
        var matrix = Tensors.Empty(new Shape(losses.Count, (int)Encoder.Size), Encoder.Values.DType, Encoder.Values.Device);
        Tensor[] inputs = [.. members.Select(m => m.Parameter.Value), .. headsFor is null ? [] : _headParameters];
        for (int row = 0; row < losses.Count; row++)
        {
            EncoderPasses++;
            var grads = Autograd.GradOrNull([losses[row]], inputs, retainGraph: true);
            var target = Ops.Slice(matrix, 0, row, row + 1);
            for (int i = 0; i < members.Count; i++)
            {
                var (_, parameter, offset) = members[i];
                var slot = Ops.Reshape(Ops.Slice(target, 1, (int)offset, (int)(offset + parameter.Value.Count)), parameter.Shape.ToArray());
                if (grads[i] is { } g) Ops.CopyInto(g, slot);
                else Ops.FillInto(slot, 0);
            }
            if (headsFor is not null) _headGradients[headsFor[row]] = grads[members.Count..];
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
