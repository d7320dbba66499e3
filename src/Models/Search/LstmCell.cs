namespace NativeMtl.Models;

/// <summary>
/// torch.nn.LSTMCell, from the engine's matmul, sigmoid and tanh: gates = x·W_ihᵀ + b_ih + h·W_hhᵀ + b_hh, split
/// in the order i, f, g, o; c' = σ(f)·c + σ(i)·tanh(g), h' = σ(o)·tanh(c'). Same parameter names and shapes as
/// torch (weight_ih [4H, in], weight_hh [4H, H], bias_ih and bias_hh [4H]) and the same initial distribution,
/// U(±1/√H), so its state dict reads like torch's.
/// </summary>
public sealed class LstmCell : Module
{
    public LstmCell(int inputSize, int hiddenSize, Generator generator, DType dtype = DType.Float32, Device? device = null)
    {
        if (inputSize < 1 || hiddenSize < 1)
            throw new ArgumentException($"LstmCell: input and hidden sizes must be at least 1, not {inputSize} and {hiddenSize}");
        HiddenSize = hiddenSize;
        double bound = 1 / Math.Sqrt(hiddenSize);
        WeightIh = AddParameter("weight_ih", Init.Uniform(new Shape(4 * hiddenSize, inputSize), bound, generator, dtype, device));
        WeightHh = AddParameter("weight_hh", Init.Uniform(new Shape(4 * hiddenSize, hiddenSize), bound, generator, dtype, device));
        BiasIh = AddParameter("bias_ih", Init.Uniform(new Shape(4 * hiddenSize), bound, generator, dtype, device));
        BiasHh = AddParameter("bias_hh", Init.Uniform(new Shape(4 * hiddenSize), bound, generator, dtype, device));
    }

    public int HiddenSize { get; }

    public Parameter WeightIh { get; }

    public Parameter WeightHh { get; }

    public Parameter BiasIh { get; }

    public Parameter BiasHh { get; }

    /// <summary>One step for a batch: x [N, in], h and c [N, H] → the next (h, c), both [N, H]. Intermediates are
    /// disposed on return; the graph keeps what backward reads.</summary>
    public (Tensor H, Tensor C) Forward(Tensor x, Tensor h, Tensor c) => Step(x, h, c, WeightIh, WeightHh, BiasIh, BiasHh);

    /// <summary>The cell as a function of its inputs and weights, so that a gradient check can vary the weights too.</summary>
    public static (Tensor H, Tensor C) Step(Tensor x, Tensor h, Tensor c, Tensor weightIh, Tensor weightHh, Tensor biasIh, Tensor biasHh)
    {
        using var scope = DisposeScope.Enter();
        int hidden = h.Shape[1];
        var gates = F.Matmul(x, F.Transpose(weightIh, 0, 1)) + biasIh + F.Matmul(h, F.Transpose(weightHh, 0, 1)) + biasHh;
        Tensor Gate(int k) => F.Slice(gates, 1, k * hidden, (k + 1) * hidden);
        var nextC = F.Sigmoid(Gate(1)) * c + F.Sigmoid(Gate(0)) * F.Tanh(Gate(2));
        var nextH = F.Sigmoid(Gate(3)) * F.Tanh(nextC);
        return (nextH.MoveToOuterScope(), nextC.MoveToOuterScope());
    }
}
