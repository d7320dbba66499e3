using NativeMtl.Raw;

namespace NativeMtl.Balancers;

/// <summary>The main task's backward pass for the balancers that pair it with the others (AuxiLight, class-wise): its
/// encoder gradient g_0 kept in a [P] row (a balancer buffer) and added to the arena with the main task's weight, its
/// head gradients added to theirs; the graph stays for the passes that follow.</summary>
internal sealed class MainTaskGradient : IDisposable
{
    private readonly IReadOnlyList<Tensor> _arena;
    private readonly Tensor[] _weights;

    public MainTaskGradient(StepContext step, Tensor weights, int main)
    {
        var encoder = step.Encoder;
        Row = Tensors.Zeros(new Shape((int)encoder.Size), encoder.Values.DType, encoder.Values.Device);
        Row.MemoryRole = MemoryRole.BalancerBuffer;
        Slots = step.EncoderSlots(Row);
        _arena = step.EncoderSlots(encoder.Grads);
        _weights = Enumerable.Range(0, weights.Shape[0]).Select(k => Ops.Slice(weights, 0, k, k + 1)).ToArray();
        step.StreamSharedGradient(step.Tasks[main].Name, weights, (member, g) =>
        {
            Ops.AddInto(Slots[member], g);
            AddToArena(member, g, main);
        });
    }

    /// <summary>g_0, laid out as the encoder's arena.</summary>
    public Tensor Row { get; }

    /// <summary>g_0's view per encoder parameter.</summary>
    public IReadOnlyList<Tensor> Slots { get; }

    /// <summary>The arena's slot of an encoder parameter += λ_k·g.</summary>
    public void AddToArena(int member, Tensor g, int k)
    {
        using var scaled = Ops.Mul(g, _weights[k]);
        Ops.AddInto(_arena[member], scaled);
    }

    public void Dispose() => Row.Dispose();
}
