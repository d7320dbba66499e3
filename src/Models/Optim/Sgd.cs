using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Models;

/// <summary>torch.optim.SGD over parameter groups (momentum, dampening, weight decay, Nesterov).</summary>
public sealed class Sgd : Optimizer
{
    private readonly SgdOptions _options;
    private readonly Tensor[]? _momentum;

    public Sgd(IEnumerable<ParameterGroup> groups, SgdOptions options) : base(groups, options.LearningRate)
    {
        _options = options;
        _momentum = options.Momentum != 0 ? ZerosFor(Groups) : null;
    }

    public SgdOptions Options => _options;

    public override double WeightDecay => _options.WeightDecay;

    /// <summary>The momentum buffer of a group (by its index in <see cref="Optimizer.Groups"/>), or null without momentum.</summary>
    public Tensor? MomentumBuffer(int group) => _momentum?[group];

    protected override void Update(int index, ParameterGroup group) =>
        Ops.SgdStep(group.Values, group.Grads, _momentum?[index], _options with { LearningRate = LearningRate }, firstStep: Steps == 0);

    public override IEnumerable<(string Name, Tensor State)> State() =>
        _momentum is null ? [] : Groups.Select((g, i) => ($"sgd.{g.Name}.momentum", _momentum[i]));

    public override void Dispose()
    {
        foreach (var t in _momentum ?? []) t.Dispose();
    }
}
