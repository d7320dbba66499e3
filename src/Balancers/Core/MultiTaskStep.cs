using NativeMtl.Models;
using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>What one step produced, as device tensors in the caller's scope (read them only when logging).</summary>
public sealed record StepResult(Tensor Losses, Tensor Weights, int EncoderPasses, int HeadPasses);

/// <summary>
/// The multi-task training step: forward and task losses, the balancer's backward pass at the level it declares,
/// the optimizer's update, then the balancer's own update. The optimizer covers the model's parameter groups
/// and the balancer's.
/// </summary>
public sealed class MultiTaskStep : IDisposable
{
    private readonly MtlModel _model;

    public MultiTaskStep(MtlModel model, IReadOnlyList<BalancedTask> tasks, IBalancer balancer,
        Func<IReadOnlyList<ParameterGroup>, Optimizer> optimizer, int stepsPerEpoch, int totalSteps,
        IReadOnlyDictionary<string, int>? classCounts = null)
    {
        var unknown = tasks.FirstOrDefault(t => model.Tasks.All(m => m.Name != t.Name));
        if (unknown is not null)
            throw new ArgumentException($"task '{unknown.Name}' is not one of the model's tasks ({string.Join(", ", model.Tasks.Select(t => t.Name))})");
        if (stepsPerEpoch < 1 || totalSteps < 1) throw new ArgumentException($"steps per epoch ({stepsPerEpoch}) and total steps ({totalSteps}) must be positive");
        _model = model;
        Tasks = tasks;
        Balancer = balancer;
        StepsPerEpoch = stepsPerEpoch;
        var encoder = model.ParameterGroups.Encoder;
        balancer.Attach(new BalancerSetup(tasks, encoder.Values.DType, encoder.Values.Device, stepsPerEpoch, totalSteps,
            encoder.Size, classCounts ?? new Dictionary<string, int>()));
        Optimizer = optimizer([.. model.ParameterGroups.All, .. balancer.ParameterGroups]);
    }

    public IReadOnlyList<BalancedTask> Tasks { get; }

    public IBalancer Balancer { get; }

    public Optimizer Optimizer { get; }

    public int StepsPerEpoch { get; }

    /// <summary>Steps completed; restored with a checkpoint.</summary>
    public int Steps { get; set; }

    public StepResult Run(ITaskObjective objective)
    {
        _model.Train();
        Optimizer.ZeroGrad();
        ulong draws = _model.Generator.Offset;
        bool perClass = Balancer.PerClassBins is not null;
        var losses = objective.Evaluate(lookAheadBatch: false, perClass);
        var context = new StepContext(_model, Tasks, losses, objective, Optimizer, Steps, StepsPerEpoch, draws, perClass);
        Balancer.Backward(context);
        context.FinishAuxiliaryModules();
        Optimizer.Step();
        Balancer.AfterUpdate(context);
        Steps++;
        return new StepResult(Ops.Clone(F.Detach(context.LossVector)), Ops.Clone(Balancer.Weights), context.EncoderPasses, context.HeadPasses);
    }

    public void Dispose()
    {
        Optimizer.Dispose();
        Balancer.Dispose();
    }
}
