using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>
/// AuxiLight (seed 000, Algorithm 1): L = L_0 + Σ_i λ_i L_i, and after each update
/// λ_i ← λ_i + α·β·⟨∇_θenc L_0, ∇_θenc L_i⟩ with α the step's learning rate and β the weight learning rate
/// (option <c>beta</c>; the paper gives none: 0.1 here). λ starts at <c>initial_weight</c> (1; not given by the paper)
/// and stays at or above <c>min_weight</c> (0, so an auxiliary task is never ascended; −∞ to follow the paper literally).
/// Option <c>mode</c>: <c>exact</c> (the default) takes the inner products of the per-task gradients of every
/// encoder parameter (K backward passes), streamed lighter than seed 000's 3·M_enc: g_0 is kept in one row, and each
/// g_i is used parameter by parameter as its backward pass produces it (⟨g_0, g_i⟩ accumulated, λ_i·g_i added to the
/// arena), so neither a K×P matrix nor a second row is held;
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

    /// <summary>One backward pass per task, each parameter's gradient used as it arrives: the main task's is kept in a
    /// [P] row g_0 and added to the arena; each auxiliary task's is dotted with its slot of g_0 and added to the arena
    /// scaled by λ_i. Only g_0 is held. Head gradients go to their arenas as each pass runs, scaled by λ.</summary>
    private void StreamSharedGradients(StepContext step)
    {
        var encoder = step.Encoder;
        using var main = Tensors.Zeros(new Shape((int)encoder.Size), encoder.Values.DType, encoder.Values.Device);
        main.MemoryRole = MemoryRole.BalancerBuffer;
        var mainSlots = step.EncoderSlots(main);
        var arenaSlots = step.EncoderSlots(encoder.Grads);
        var lambda = Enumerable.Range(0, Tasks.Count).Select(k => Ops.Slice(_lambda!, 0, k, k + 1)).ToArray();
        void AddScaled(int member, Tensor g, int k)
        {
            using var scaled = Ops.Mul(g, lambda[k]);
            Ops.AddInto(arenaSlots[member], scaled);
        }
        step.StreamSharedGradient(MainTask, _lambda!, (member, g) =>
        {
            Ops.AddInto(mainSlots[member], g);
            AddScaled(member, g, IndexOf(MainTask));
        });
        Ops.FillInto(_innerProducts!, 0);
        foreach (var task in AuxiliaryTaskNames)
        {
            int k = IndexOf(task);
            var innerProduct = Ops.Slice(_innerProducts!, 0, k, k + 1);
            step.StreamSharedGradient(task, _lambda!, (member, g) =>
            {
                using var product = Ops.Mul(mainSlots[member], g);
                using var sum = Ops.Reshape(Ops.Sum(product), 1);
                Ops.AddInto(innerProduct, sum);
                AddScaled(member, g, k);
            });
        }
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
