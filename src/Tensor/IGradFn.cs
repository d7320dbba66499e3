namespace NativeMtl;

/// <summary>The record of the differentiable op that produced a tensor. The autograd layer defines what it
/// holds; the tensor only keeps the link, so the graph can be walked backwards from any result.</summary>
public interface IGradFn
{
    string Name { get; }

    /// <summary>Called once when the tensor this node produced is disposed: the node, and what it saved, may go as
    /// soon as no later node in the graph needs it.</summary>
    void OutputReleased();
}
