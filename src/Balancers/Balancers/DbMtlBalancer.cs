using NativeMtl.Models;
using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>
/// DB-MTL (Lin et al. 2023, "Dual-Balancing for Multi-Task Learning"): loss scales balanced by taking each task's
/// gradient of log L_k (∇L_k / (L_k + 1e-8)), gradient magnitudes by scaling each to the largest. The log-gradients
/// of the shared parameters are kept in a K×P buffer as a moving average, ĝ_k ← g_k + (β/t^σ)·(ĝ_k − g_k) at step t
/// (options <c>beta</c> 0.9 and <c>beta_sigma</c> 0.5, LibMTL's defaults), and the shared parameters take
/// Σ_k α_k·ĝ_k with α_k = max_j ‖ĝ_j‖ / (‖ĝ_k‖ + 1e-8), the weights reported. Each head takes its log-loss gradient.
/// The buffer is K×P for the whole run (saved in checkpoints): the memory of the method, as in LibMTL.
/// </summary>
public sealed class DbMtlBalancer(BalancerOptions options) : Balancer
{
    private readonly double _beta = options.Number("beta", 0.9);
    private readonly double _betaSigma = options.Number("beta_sigma", 0.5);
    private Tensor? _buffer, _weights, _inverseLosses;
    private int _steps;

    public override GradientLevel Level => GradientLevel.Parameters;

    public override Tensor Weights => _weights!;

    protected override void OnAttach()
    {
        _buffer = Tensors.Zeros(new Shape(Tasks.Count, checked((int)Setup.EncoderSize)), Setup.DType, Setup.Device).DetachFromScope();
        _buffer.MemoryRole = MemoryRole.BalancerBuffer;
        _weights = Filled(1);
        _inverseLosses = Filled(1);
    }

    public override void Backward(StepContext step)
    {
        _steps++;
        var rows = step.SharedGradients(TaskNames);
        Ops.CopyInto(Ops.Unary(Kernels.UnaryOp.Reciprocal, Ops.Scalar(Kernels.ScalarOp.MulAdd, F.Detach(step.LossVector), 1, 1e-8)), _inverseLosses!);
        var logGradients = Ops.Mul(rows, Ops.Reshape(_inverseLosses!, Tasks.Count, 1));
        double decay = _beta / Math.Pow(_steps, _betaSigma);
        Ops.CopyInto(Ops.Add(logGradients, Ops.MulAdd(Ops.Sub(_buffer!, logGradients), decay)), _buffer!);
        var norms = Ops.Unary(Kernels.UnaryOp.Sqrt, Ops.Diagonal(Ops.GradientGram(_buffer!)));
        Ops.CopyInto(Ops.Div(Ops.Reduce(Kernels.ReduceOp.Max, norms, []), Ops.Scalar(Kernels.ScalarOp.MulAdd, norms, 1, 1e-8)), _weights!);
        step.AddSharedGradient(Ops.GradientCombine(_buffer!, _weights!));
        step.ApplyHeadGradients(_inverseLosses!);
    }

    public override IEnumerable<(string Name, Tensor State)> State() => [("db_mtl.buffer", _buffer!)];

    public override IReadOnlyDictionary<string, string> Counters => new Dictionary<string, string> { ["db_mtl.steps"] = _steps.ToString() };

    public override void RestoreCounters(IReadOnlyDictionary<string, string> counters) => _steps = int.Parse(counters["db_mtl.steps"]);

    public override void Dispose()
    {
        foreach (var t in new[] { _buffer, _weights, _inverseLosses }) t?.Dispose();
    }
}
