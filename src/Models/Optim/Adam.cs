using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Models;

/// <summary>torch.optim.Adam, or AdamW when the options say Decoupled, over parameter groups.</summary>
public sealed class Adam : Optimizer
{
    private readonly AdamOptions _options;
    private readonly Tensor[] _m;
    private readonly Tensor[] _v;

    public Adam(IEnumerable<ParameterGroup> groups, AdamOptions options) : base(groups, options.LearningRate)
    {
        _options = options;
        _m = ZerosFor(Groups);
        _v = ZerosFor(Groups);
    }

    public override double WeightDecay => _options.WeightDecay;

    protected override void Update(int index, ParameterGroup group) =>
        Ops.AdamStep(group.Values, group.Grads, _m[index], _v[index], _options with { LearningRate = LearningRate }, Steps + 1);

    public override IEnumerable<(string Name, Tensor State)> State() =>
        Groups.SelectMany((g, i) => new[] { ($"adam.{g.Name}.exp_avg", _m[i]), ($"adam.{g.Name}.exp_avg_sq", _v[i]) });

    public override void Dispose()
    {
        foreach (var t in _m.Concat(_v)) t.Dispose();
    }
}
