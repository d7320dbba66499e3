namespace NativeMtl.Models;

/// <summary>A module with one input and one output, so layers compose in a <see cref="Sequential"/>.</summary>
public abstract class Layer : Module
{
    public abstract Tensor Forward(Tensor x);
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

    public override Tensor Forward(Tensor x)
    {
        foreach (var layer in _layers) x = layer.Forward(x);
        return x;
    }
}
