using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>
/// Loss scale balancing (seed 004). Training runs in periods (option <c>period</c> in steps; one epoch by default).
/// L_k^t is task k's mean loss over period t and L^t = α^t Σ_k d_k^t w_k^t L_k^t the mean overall loss. Period 1:
/// w_k = π_k. From period 2: w_k^t = π_k·L^(t−1) / L_k^(t−1). From period 3:
/// d_k^t = ((L_k^(t−1) / L_k^(t−2)) / (L^(t−1) / L^(t−2)))^β^t and α^t = 1 / Σ_k π_k d_k^t; the step's loss is
/// α^t Σ_k d_k^t w_k^t ℓ_k. β: option <c>beta_schedule</c> <c>grow_from_zero</c> (the default and the paper's: "β is
/// initialized to 0 and incremented gradually", so period 3's loss is Eq. 2's; β^t = <c>beta_step</c>·(t − 3), the
/// step not given by the paper: 0.1), <c>grow_from_period_one</c> (β^t = <c>beta_step</c>·(t − 1), 0.2 at period 3:
/// this balancer's schedule before it followed the paper) or <c>fixed</c> (β = option <c>beta</c>, 1 by default:
/// Table 6's settings −1, 0, 1, 3, 10).
/// Priorities π (option <c>priorities</c>, task → value) default to 1/K and are normalized to sum to 1.
/// Both re-weightings keep the overall loss of the previous period unchanged (Propositions 1 and 2). A task whose
/// mean loss over a period is exactly 0 (no valid targets all period) cannot be rescaled from it: it keeps its weight
/// and a difficulty factor of 1, where the ratios would divide by 0.
/// </summary>
public sealed class LsbBalancer(BalancerOptions options) : Balancer
{
    private readonly int _period = options.Integer("period", 0);
    private readonly double _betaStep = options.Number("beta_step", 0.1);
    private readonly string _betaSchedule = options.Word("beta_schedule", "grow_from_zero", "grow_from_zero", "grow_from_period_one", "fixed");
    private readonly double _fixedBeta = options.Number("beta", 1);
    private readonly IReadOnlyDictionary<string, double>? _priorities = options.PerTask("priorities");
    private Tensor? _pi, _weights, _d, _effective, _periodSum, _lastMeans, _beforeLastMeans, _lastOverall, _beforeLastOverall;
    private int _periodsDone;

    public override GradientLevel Level => GradientLevel.Losses;

    /// <summary>The weight each task's loss carries in this step: α·d_k·w_k.</summary>
    public override Tensor Weights => _effective!;

    /// <summary>Completed periods; the current period is number PeriodsDone + 1.</summary>
    public int PeriodsDone => _periodsDone;

    private int PeriodLength => _period > 0 ? _period : Setup.StepsPerEpoch;

    protected override void OnAttach()
    {
        var unknown = _priorities?.Keys.FirstOrDefault(k => Tasks.All(t => t.Name != k));
        if (unknown is not null) throw new ArgumentException($"balancer lsb: option 'priorities' names '{unknown}', which is not a task");
        var raw = Tasks.Select(t => _priorities?.GetValueOrDefault(t.Name, 1.0) ?? 1.0).ToArray();
        if (raw.Any(p => p <= 0)) throw new ArgumentException("balancer lsb: priorities must be positive");
        _pi = Vector(raw.Select(p => p / raw.Sum()).ToArray());
        _weights = Ops.Clone(_pi).DetachFromScope();
        _d = Filled(1);
        _effective = Ops.Clone(_pi).DetachFromScope();
        _periodSum = Filled(0);
        _lastMeans = Filled(1);
        _beforeLastMeans = Filled(1);
        _lastOverall = Vector(1);
        _beforeLastOverall = Vector(1);
    }

    public override void Backward(StepContext step)
    {
        Ops.AddInto(_periodSum!, F.Detach(step.LossVector));
        step.Backward(step.WeightedSum(_effective!));
    }

    public override void AfterUpdate(StepContext step)
    {
        if ((step.Step + 1) % PeriodLength != 0) return;
        EndPeriod(Ops.MulAdd(_periodSum!, 1.0 / PeriodLength));
        Ops.FillInto(_periodSum!, 0);
    }

    /// <summary>Closes the current period with its mean task losses and sets the next period's weights.</summary>
    internal void EndPeriod(Tensor means)
    {
        var overall = Ops.Reshape(Ops.Sum(Ops.Mul(_effective!, means)), 1);
        Ops.CopyInto(_lastMeans!, _beforeLastMeans!);
        Ops.CopyInto(_lastOverall!, _beforeLastOverall!);
        Ops.CopyInto(means, _lastMeans!);
        Ops.CopyInto(overall, _lastOverall!);
        _periodsDone++;
        int next = _periodsDone + 1;
        var measured = Gradients.Positive(_lastMeans!);
        Ops.CopyInto(Ops.Where(measured, Ops.Div(Ops.Mul(_pi!, _lastOverall!), _lastMeans!), _weights!), _weights!);
        if (next >= 3)
        {
            double beta = _betaSchedule switch
            {
                "fixed" => _fixedBeta,
                "grow_from_period_one" => _betaStep * (next - 1),
                _ => _betaStep * (next - 3),
            };
            var taskRatio = Ops.Div(_lastMeans!, _beforeLastMeans!);
            var overallRatio = Ops.Div(_lastOverall!, _beforeLastOverall!);
            var comparable = Ops.Mul(Ops.Mul(measured, Gradients.Positive(_beforeLastMeans!)), Ops.Mul(Gradients.Positive(_lastOverall!), Gradients.Positive(_beforeLastOverall!)));
            var d = Ops.Scalar(ScalarOp.Pow, Ops.Div(taskRatio, overallRatio), beta);
            Ops.CopyInto(Ops.Where(comparable, d, Tensors.OnesLike(d)), _d!);
        }
        var alpha = Ops.Unary(UnaryOp.Reciprocal, Ops.Sum(Ops.Mul(_pi!, _d!)));
        Ops.CopyInto(Ops.Mul(alpha, Ops.Mul(_d!, _weights!)), _effective!);
    }

    public override IEnumerable<(string Name, Tensor State)> State() =>
    [
        ("lsb.weights", _weights!), ("lsb.d", _d!), ("lsb.effective", _effective!), ("lsb.period_sum", _periodSum!),
        ("lsb.last_means", _lastMeans!), ("lsb.before_last_means", _beforeLastMeans!),
        ("lsb.last_overall", _lastOverall!), ("lsb.before_last_overall", _beforeLastOverall!),
    ];

    public override IReadOnlyDictionary<string, string> Counters => new Dictionary<string, string> { ["lsb.periods"] = _periodsDone.ToString() };

    public override void RestoreCounters(IReadOnlyDictionary<string, string> counters) => _periodsDone = int.Parse(counters["lsb.periods"]);

    public override void Dispose()
    {
        foreach (var t in new[] { _pi, _weights, _d, _effective, _periodSum, _lastMeans, _beforeLastMeans, _lastOverall, _beforeLastOverall }) t?.Dispose();
    }
}
