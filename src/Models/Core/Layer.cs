namespace NativeMtl.Models;

/// <summary>A module with one input and one output, so layers compose in a <see cref="Sequential"/>.</summary>
public abstract class Layer : Module
{
    /// <summary>Runs <see cref="ForwardCore"/> in a disposal scope of its own: whatever the layer made on the way goes
    /// when it returns, and the graph keeps only what backward reads.</summary>
    public Tensor Forward(Tensor x) => DisposeScope.Run(() => ForwardCore(x));

    protected abstract Tensor ForwardCore(Tensor x);
}

/// <summary>Layers applied in order; children are named "0", "1", … as in torch.nn.Sequential. Open to subclasses
/// for the same reason torchvision subclasses nn.Sequential (DeepLabHead): keys stay "0.weight", "1.weight", ….</summary>
public class Sequential : Layer
{
    private readonly List<Layer> _layers = [];

    public Sequential(params Layer[] layers)
    {
        foreach (var layer in layers) Add(layer);
    }

    public Sequential Add(Layer layer)
    {
        _layers.Add(AddModule(_layers.Count.ToString(), layer));
        return this;
    }

    public IReadOnlyList<Layer> Layers => _layers;

    protected override Tensor ForwardCore(Tensor x) => DisposeScope.Chain(x, _layers.Select(l => (Func<Tensor, Tensor>)l.Forward).ToArray());
}
