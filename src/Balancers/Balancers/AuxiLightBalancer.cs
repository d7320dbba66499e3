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
/// arena), so neither a K×P matrix nor a second row is held; <c>jvp</c> takes all of them from one forward-mode pass
/// along g_0 (DESIGN §13: the tangent of L_i along g_0 is ⟨g_0, g_i⟩), then one backward pass of Σ_aux λ_i L_i, so its
/// cost does not grow with the number of auxiliary tasks; <c>feature</c> takes them at the shared feature z instead
/// (one encoder pass). Option <c>gram: layerwise</c> (mode exact only) takes the inner products from one backward pass
/// that carries every task's gradient stacked (<see cref="StepContext.LayerwiseGram"/>), then one backward pass of
/// Σ λ_k L_k: not even g_0's row is held.
/// </summary>
public sealed class AuxiLightBalancer(BalancerOptions options) : Balancer
{
    private readonly double _beta = options.Number("beta", 0.1);
    private readonly double _initial = options.Number("initial_weight", 1);
    private readonly double _minimum = options.Number("min_weight", 0);
    private readonly string _mode = Mode(options);
    private readonly bool _layerwise = GramBalancer.IsLayerwise(options, "auxilight", Mode(options) is var mode && mode != "exact" ? $"mode: {mode}" : null);
    private Tensor? _lambda, _innerProducts, _auxiliaryMask;

    private static string Mode(BalancerOptions options) => options.Word("mode", "exact", "exact", "jvp", "feature");

    public override GradientLevel Level => _mode == "feature" ? GradientLevel.Feature : GradientLevel.Parameters;

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
        switch (_mode)
        {
            case "feature":
                FeatureInnerProducts(step);
                break;
            case "jvp":
                ForwardModeInnerProducts(step);
                break;
            default:
                if (_layerwise) LayerwiseInnerProducts(step);
                else StreamSharedGradients(step);
                break;
        }
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
        using var pass = new MainTaskGradient(step, _lambda!, IndexOf(MainTask));
        Ops.FillInto(_innerProducts!, 0);
        foreach (var task in AuxiliaryTaskNames)
        {
            int k = IndexOf(task);
            var innerProduct = Ops.Slice(_innerProducts!, 0, k, k + 1);
            step.StreamSharedGradient(task, _lambda!, (member, g) =>
            {
                using var product = Ops.Mul(pass.Slots[member], g);
                using var sum = Ops.Reshape(Ops.Sum(product), 1);
                Ops.AddInto(innerProduct, sum);
                pass.AddToArena(member, g, k);
            });
        }
    }

    /// <summary>Every ⟨g_i, g_j⟩ from one stacked backward pass (row 0's are the ones λ needs), then one backward pass of
    /// Σ λ_k·L_k into the encoder; the heads take λ_k times their own gradients, as in the exact mode.</summary>
    private void LayerwiseInnerProducts(StepContext step)
    {
        var gram = step.LayerwiseGram(TaskNames);
        int main = IndexOf(MainTask);
        Ops.CopyInto(Ops.Reshape(Ops.Slice(gram, 0, main, main + 1), -1), _innerProducts!);
        step.BackwardCombination(TaskNames, _lambda!);
        step.ApplyHeadGradients(_lambda!);
    }

    /// <summary>g_0 from one backward pass; one backward pass of Σ_aux λ_i·L_i (with the auxiliary modules) on the graph
    /// the main pass kept, which releases it; then every ⟨g_0, g_i⟩ from one forward-mode pass along g_0, at the same θ.</summary>
    private void ForwardModeInnerProducts(StepContext step)
    {
        using var pass = new MainTaskGradient(step, _lambda!, IndexOf(MainTask));
        var auxiliary = AuxiliaryTaskNames;
        step.Backward(auxiliary.Select(t => F.Mul(step.Loss(t), F.Detach(Ops.Reshape(Ops.Slice(_lambda!, 0, IndexOf(t), IndexOf(t) + 1), [])))).Aggregate(F.Add));
        var products = step.DirectionalDerivatives(pass.Row, auxiliary, losses => auxiliary.Select(t => losses.Losses[t]).ToList());
        Ops.FillInto(_innerProducts!, 0);
        for (int a = 0; a < auxiliary.Count; a++)
        {
            int k = IndexOf(auxiliary[a]);
            Ops.CopyInto(Ops.Slice(products, 0, a, a + 1), Ops.Slice(_innerProducts!, 0, k, k + 1));
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
