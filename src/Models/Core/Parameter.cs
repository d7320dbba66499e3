namespace NativeMtl.Models;

/// <summary>A trainable tensor of a module. Its <see cref="Value"/> may move into a flat arena
/// (<see cref="ParameterGroup"/>), so modules read it at each forward pass rather than keeping it.</summary>
public sealed class Parameter
{
    internal Parameter(Tensor value)
    {
        value.RequiresGrad = true;
        Value = value;
    }

    public Tensor Value { get; internal set; }

    public Shape Shape => Value.Shape;

    public static implicit operator Tensor(Parameter p) => p.Value;
}
