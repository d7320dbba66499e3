using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>
/// AuxiLight (seed 000, Algorithm 1): L = L_0 + Σ_i λ_i L_i, and after each update
/// λ_i ← λ_i + α·β·⟨∇_θenc L_0, ∇_θenc L_i⟩ with α the step's learning rate and β the weight learning rate
/// (option <c>beta</c>; the paper gives none: 0.1 here). λ starts at <c>initial_weight</c> (1; not given by the paper)
/// and stays at or above <c>min_weight</c> (0, so an auxiliary task is never ascended; −∞ to follow the paper literally).
/// Option <c>mode</c>: <c>exact</c> (the default) takes the inner products of the per-task gradients of every
/// encoder parameter (K backward passes), streamed as seed 000 describes (3·M_enc): g_0 in one row, each g_i in turn
/// in a second, ⟨g_0, g_i⟩ taken and λ_i·g_i added to the arena before the next task, so no K×P matrix is held;
/// <c>feature</c> takes them at the shared feature z instead (one encoder pass).
/// </summary>
public sealed class AuxiLightBalancer(BalancerOptions options) : Balancer
{
    private readonly double _beta = options.Number("beta", 0.1);
    private readonly double _initial = options.Number("initial_weight", 1);
    private readonly double _minimum = options.Number("min_weight", 0);
    private readonly bool _featureMode = options.Word("mode", "exact", "exact", "feature") == "feature";
    private Tensor? _lambda, _innerProducts, _auxiliaryMask;

    public override GradientLevel Level => _featureMode ? GradientLevel.Feature : GradientLevel.Parameters;

    protected override bool RequiresOneMainTask => true;

    /// <summary>λ in task order, with the main task's weight fixed at 1.</summary>
    public override Tensor Weights => _lambda!;

    protected override void OnAttach()
    {
        _lambda = Vector(Tasks.Select(t => t.Role == TaskRole.Main ? 1.0 : _initial).ToArray());
        if (_minimum > 1) throw new ArgumentException($"balancer auxilight: min_weight {_minimum} exceeds the main task's weight 1");
        _innerProducts = Filled(0);
        _auxiliaryMask = Vector(Tasks.Select(t => t.Role == TaskRole.Auxiliary ? 1.0 : 0.0).ToArray());
    }

    public override void Backward(StepContext step)
    {
        if (_featureMode) FeatureInnerProducts(step);
        else StreamSharedGradients(step);
    }

    /// <summary>The gradients at z, stacked main first: their Gram row 0 and their λ-combination, sent through the encoder once.</summary>
    private void FeatureInnerProducts(StepContext step)
    {
        List<string> order = [MainTask, .. AuxiliaryTaskNames];
        var features = Gradients.Stack(order.Select(step.FeatureGradient).ToList());
        var gram = Ops.GradientGram(features);
        var coefficients = Gradients.Reorder(_lambda!, TaskNames, order);
        step.BackwardEncoder(Ops.Reshape(Ops.GradientCombine(features, coefficients), step.Current.SharedFeature.Shape.ToArray()));
        step.ApplyHeadGradients(_lambda!);
        Ops.CopyInto(Gradients.Reorder(Gradients.InnerProductsWithFirst(gram), order, TaskNames), _innerProducts!);
    }

    /// <summary>Rows [g_0; g_i] of one [2, P] buffer: the main task's gradient stays in the first, each auxiliary
    /// task's takes the second in turn. Head gradients go to their arenas as each pass runs, scaled by λ.</summary>
    private void StreamSharedGradients(StepContext step)
    {
        var encoder = step.Encoder;
        using var rows = Tensors.Empty(new Shape(2, (int)encoder.Size), encoder.Values.DType, encoder.Values.Device);
        rows.MemoryRole = MemoryRole.BalancerBuffer;
        using var main = Ops.Reshape(Ops.Slice(rows, 0, 0, 1), -1);
        using var auxiliary = Ops.Reshape(Ops.Slice(rows, 0, 1, 2), -1);
        step.SharedGradientInto(MainTask, main, _lambda!);
        AddScaled(encoder.Grads, main, IndexOf(MainTask));
        Ops.FillInto(_innerProducts!, 0);
        foreach (var task in AuxiliaryTaskNames)
        {
            int k = IndexOf(task);
            step.SharedGradientInto(task, auxiliary, _lambda!);
            using (var gram = Ops.GradientGram(rows))
                Ops.CopyInto(Ops.Slice(Ops.Reshape(gram, -1), 0, 1, 2), Ops.Slice(_innerProducts!, 0, k, k + 1));
            AddScaled(encoder.Grads, auxiliary, k);
        }
    }

    /// <summary>arena += λ_k·row, scaling the row in place (it is refilled before it is read again).</summary>
    private void AddScaled(Tensor arena, Tensor row, int k)
    {
        Ops.MulInto(row, Ops.Slice(_lambda!, 0, k, k + 1));
        Ops.AddInto(arena, row);
    }

    /// <summary>λ_i += α·β·⟨g_0, g_i⟩ for the auxiliary tasks, with the gradients of the step just taken.</summary>
    public override void AfterUpdate(StepContext step)
    {
        var moved = Ops.Add(_lambda!, Ops.Mul(_auxiliaryMask!, Ops.MulAdd(_innerProducts!, step.LearningRate * _beta)));
        Ops.CopyInto(Ops.Scalar(ScalarOp.Clamp, moved, _minimum, double.PositiveInfinity), _lambda!);
    }

    public override IEnumerable<(string Name, Tensor State)> State() => [("auxilight.lambda", _lambda!)];

    public override void Dispose()
    {
        _lambda?.Dispose();
        _innerProducts?.Dispose();
        _auxiliaryMask?.Dispose();
    }
}
