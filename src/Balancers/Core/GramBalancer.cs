using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>
/// The gradient-surgery family (DESIGN §14): every task's gradient of the shared parameters as the rows of a K×P
/// matrix (or, with option <c>at: feature</c> where the method allows it, of the shared feature z, LibMTL's
/// rep_grad), its K×K Gram matrix read to the host, a solve on those K² numbers, and one combine pass Σ_k c_k·g_k
/// into the encoder: two reads of the matrix whatever the method. Every task's head takes its own gradient
/// unweighted, as in LibMTL. The weights reported are the c_k, in task order. All tasks take part whatever their
/// role (main or auxiliary).
/// <para>Option <c>gram</c>: <c>matrix</c> (the default) as above, K backward passes into the K×P matrix;
/// <c>layerwise</c> (DESIGN §14) never forms it: G from one backward pass that carries the K task gradients stacked,
/// parameter by parameter, then a second backward pass of Σ_k c_k·L_k. Memory ≈ Equal's plus K times one layer's
/// gradients, for one more backward pass. The same coefficients either way.</para>
/// </summary>
public abstract class GramBalancer : Balancer
{
    private readonly string _at;
    private readonly bool _layerwise;
    private Tensor? _coefficients, _ones;

    /// <param name="options">The balancer's options (<c>at</c> is read when <paramref name="featureAllowed"/>).</param>
    /// <param name="featureAllowed">Whether the method may work at the shared feature (LibMTL refuses rep_grad for
    /// PCGrad and CAGrad, whose papers define them on the parameters).</param>
    protected GramBalancer(BalancerOptions options, bool featureAllowed)
    {
        _at = featureAllowed ? options.Word("at", "parameters", "parameters", "feature") : "parameters";
        _layerwise = IsLayerwise(options, BalancerRegistry.NameOf(GetType()), _at == "feature" ? "at: feature" : null);
    }

    /// <summary>Reads option <c>gram</c> (matrix or layerwise) of a Gram-based method. Layerwise concerns the gradients
    /// of the shared parameters; <paramref name="conflict"/> names the option that makes the method take others (at the
    /// feature, the K gradients at z are small enough to stack whole).</summary>
    internal static bool IsLayerwise(BalancerOptions options, string balancer, string? conflict)
    {
        bool layerwise = options.Word("gram", "matrix", "matrix", "layerwise") == "layerwise";
        if (layerwise && conflict is not null)
            throw new ArgumentException($"balancer {balancer}: gram: layerwise is for the gradients of the shared parameters and cannot be combined with {conflict}");
        return layerwise;
    }

    public override GradientLevel Level => _at == "feature" ? GradientLevel.Feature : GradientLevel.Parameters;

    public override Tensor Weights => _coefficients!;

    protected override void OnAttach()
    {
        _coefficients = Filled(0);
        _ones = Filled(1);
    }

    public override void Backward(StepContext step)
    {
        var tasks = TaskNames;
        if (_layerwise)
        {
            Solve(GramOnHost(step.LayerwiseGram(tasks)), step);
            step.BackwardCombination(tasks, _coefficients!);
        }
        else
        {
            var rows = _at == "feature" ? Gradients.Stack(tasks.Select(step.FeatureGradient).ToList()) : step.SharedGradients(tasks);
            Solve(GramOnHost(Ops.GradientGram(rows)), step);
            var combined = Ops.GradientCombine(rows, _coefficients!);
            if (_at == "feature") step.BackwardEncoder(Ops.Reshape(combined, step.Current.SharedFeature.Shape.ToArray()));
            else step.AddSharedGradient(combined);
        }
        step.ApplyHeadGradients(HeadWeights ?? _ones!);
    }

    /// <summary>The method's coefficients from the Gram matrix, checked and put on the device.</summary>
    private void Solve(double[,] gram, StepContext step)
    {
        var coefficients = Coefficients(gram, step);
        if (coefficients.Length != TaskNames.Count || coefficients.Any(c => !double.IsFinite(c)))
            throw new InvalidOperationException($"balancer {Name}: the solve gave [{string.Join(", ", coefficients)}] for {TaskNames.Count} tasks");
        using var solved = Vector(coefficients);
        Ops.CopyInto(solved, _coefficients!);
    }

    /// <summary>The factor on each task's head gradient, in task order: 1 unless a method scales its losses.</summary>
    protected virtual Tensor? HeadWeights => null;

    /// <summary>The method's combination c (one coefficient per task, in task order) from the Gram matrix G of the
    /// task gradients, G[i, j] = ⟨g_i, g_j⟩.</summary>
    protected abstract double[] Coefficients(double[,] gram, StepContext step);

    /// <summary>A K×K device matrix as a host array (Float64).</summary>
    internal static double[,] GramOnHost(Tensor gram)
    {
        int k = gram.Shape[0];
        var values = Ops.Cast(gram, DType.Float64).ToArray<double>();
        var result = new double[k, k];
        for (int i = 0; i < k; i++)
            for (int j = 0; j < k; j++) result[i, j] = values[i * k + j];
        return result;
    }

    public override void Dispose()
    {
        _coefficients?.Dispose();
        _ones?.Dispose();
        base.Dispose();
    }
}
