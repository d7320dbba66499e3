using NativeMtl.Models;

namespace NativeMtl.Balancers;

/// <summary>A [K] vector a balancer learns with the model's optimizer (uncertainty weights, IAL's log σ),
/// in a parameter group of its own named "balancer.&lt;name&gt;".</summary>
internal sealed class BalancerParameter : Module
{
    private readonly Parameter _parameter;

    public BalancerParameter(string balancer, string name, Tensor initial)
    {
        _parameter = AddParameter(name, initial);
        Group = new ParameterGroup($"balancer.{balancer}", NamedParameters());
    }

    public ParameterGroup Group { get; }

    public Tensor Value => _parameter.Value;

    public override void Dispose()
    {
        Group.Dispose();
        base.Dispose();
    }
}
