using NativeMtl.Raw;

namespace NativeMtl.Models;

/// <summary>
/// An ENAS-style controller (Pham et al. 2018) over a fixed sequence of categorical decisions, as seed 001 uses to
/// search auxiliary cells: an LSTM cell starts from a learned input; at decision i a head Linear(H → choices[i],
/// no bias, as ENAS) turns the hidden state into logits (tempered by <see cref="ControllerOptions"/>), a token is
/// chosen, and that token's row of decision i's embedding table is the next step's input. It knows nothing of
/// cells: what each decision means is the caller's business.
/// <para>Everything is Float64 on the CPU: the controller is a few thousand numbers, so precision costs nothing,
/// finite-difference checks are exact enough, and a search replayed from its log reproduces it bit for bit.
/// Every parameter is drawn from U(±1/√H) (PyTorch's default for LSTMCell and Linear; ENAS draws U(±0.1)), in a
/// fixed order from one generator seeded with the constructor's seed.</para>
/// </summary>
public sealed class ArchitectureController : Module
{
    private readonly int[] _choices;
    private readonly ControllerOptions _options;
    private readonly Parameter _start;
    private readonly Parameter[] _embeddings;

    public ArchitectureController(IReadOnlyList<int> choices, ControllerOptions options, ulong seed)
    {
        ArgumentNullException.ThrowIfNull(choices);
        ArgumentNullException.ThrowIfNull(options);
        if (choices.Count == 0) throw new ArgumentException("ArchitectureController: there must be at least one decision");
        for (int i = 0; i < choices.Count; i++)
            if (choices[i] < 1)
                throw new ArgumentException($"ArchitectureController: decision {i} has {choices[i]} options; each needs at least 1");
        options.Validate();
        _choices = [.. choices];
        _options = options;

        var generator = new Generator(seed);
        int hidden = options.Hidden;
        double bound = 1 / Math.Sqrt(hidden);
        _start = AddParameter("start", Init.Uniform(new Shape(1, hidden), bound, generator, DType.Float64));
        Lstm = AddModule("lstm", new LstmCell(hidden, hidden, generator, DType.Float64));
        Heads = AddModule("heads", new ModuleList<Linear>(_choices.Select(k => new Linear(hidden, k, generator, bias: false, DType.Float64))));
        // The last decision's token feeds no further step, so it has no embedding table.
        _embeddings = _choices.SkipLast(1)
            .Select((k, i) => AddParameter($"embedding{i}", Init.Uniform(new Shape(k, hidden), bound, generator, DType.Float64)))
            .ToArray();
        Group = new ParameterGroup("controller", NamedParameters());
    }

    /// <summary>The number of options at each decision.</summary>
    public IReadOnlyList<int> Choices => _choices;

    public LstmCell Lstm { get; }

    /// <summary>Decision i's softmax head, hidden state → raw logits over its choices[i] options.</summary>
    public ModuleList<Linear> Heads { get; }

    /// <summary>Every parameter in one arena, for the optimizer; the controller owns it.</summary>
    public ParameterGroup Group { get; }

    /// <summary>Draws one sequence, token i with the probabilities the controller gives it after tokens 0..i−1. Takes
    /// one uniform per decision from <paramref name="generator"/> (in one draw) and records no graph, so the same
    /// parameters and generator state give the same tokens.</summary>
    public int[] Sample(Generator generator)
    {
        using var scope = DisposeScope.Enter();
        using var noGrad = GradMode.NoGrad();
        var uniforms = Tensors.Uniform(new Shape(_choices.Length), generator, dtype: DType.Float64).ToArray<double>();
        return Unroll(1, (i, logits) => [InverseCdf(Ops.Softmax(logits, 1).ToArray<double>(), uniforms[i])])[0];
    }

    /// <summary>The greedy sequence: the most likely token at each decision, given the greedy tokens before it
    /// (the lowest index on a tie).</summary>
    public int[] MostLikely()
    {
        using var scope = DisposeScope.Enter();
        using var noGrad = GradMode.NoGrad();
        return Unroll(1, (_, logits) => [ArgMax(logits.ToArray<double>())])[0];
    }

    /// <summary>
    /// For each given sequence, log π(sequence) = Σᵢ log πᵢ(tokenᵢ) and the summed entropy Σᵢ H(πᵢ) of the
    /// distributions it passed through, both [B] and differentiable in the parameters: what the policy gradient
    /// needs. Sequences are evaluated side by side, one LSTM step per decision for the whole batch.
    /// </summary>
    public (Tensor LogProbability, Tensor Entropy) Evaluate(IReadOnlyList<int[]> sequences)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        if (sequences.Count == 0) throw new ArgumentException("ArchitectureController.Evaluate: no sequences");
        for (int b = 0; b < sequences.Count; b++) Validate(sequences[b], b);
        using var scope = DisposeScope.Enter();
        Tensor? logProbability = null, entropy = null;
        Unroll(sequences.Count, (i, logits) =>
        {
            var tokens = sequences.Select(s => s[i]).ToArray();
            var logPi = F.LogSoftmax(logits, 1);
            var chosen = F.Sum(logPi * OneHot(tokens, _choices[i]), [1]);
            var stepEntropy = -F.Sum(F.Exp(logPi) * logPi, [1]);
            logProbability = logProbability is null ? chosen : logProbability + chosen;
            entropy = entropy is null ? stepEntropy : entropy + stepEntropy;
            return tokens;
        });
        return (logProbability!.MoveToOuterScope(), entropy!.MoveToOuterScope());
    }

    /// <summary>Runs the LSTM over every decision for a batch of <paramref name="batch"/> sequences; at decision i,
    /// <paramref name="choose"/> gets the tempered logits [batch, choices[i]] and returns the batch's tokens, whose
    /// embeddings are the next input. Returns the tokens, sequence by sequence.</summary>
    private int[][] Unroll(int batch, Func<int, Tensor, int[]> choose)
    {
        int hidden = _options.Hidden;
        var tokens = Enumerable.Range(0, batch).Select(_ => new int[_choices.Length]).ToArray();
        var x = F.BroadcastTo(_start, new Shape(batch, hidden));
        var h = Tensors.Zeros(new Shape(batch, hidden), DType.Float64);
        var c = Tensors.Zeros(new Shape(batch, hidden), DType.Float64);
        for (int i = 0; i < _choices.Length; i++)
        {
            (h, c) = Lstm.Forward(x, h, c);
            var chosen = choose(i, Temper(Heads[i].Forward(h)));
            for (int b = 0; b < batch; b++) tokens[b][i] = chosen[b];
            if (i + 1 < _choices.Length) x = F.Matmul(OneHot(chosen, _choices[i]), _embeddings[i]);
        }
        return tokens;
    }

    private Tensor Temper(Tensor z)
    {
        var scaled = z / _options.Temperature;
        return _options.TanhConstant is { } bound ? F.Tanh(scaled) * bound : scaled;
    }

    private static Tensor OneHot(int[] tokens, int options)
    {
        var rows = new double[tokens.Length * options];
        for (int b = 0; b < tokens.Length; b++) rows[b * options + tokens[b]] = 1;
        return Tensors.FromArray(rows, tokens.Length, options);
    }

    /// <summary>The first index whose cumulative probability exceeds u; the last one if rounding leaves u beyond
    /// the total.</summary>
    private static int InverseCdf(double[] probabilities, double u)
    {
        double cumulative = 0;
        for (int k = 0; k < probabilities.Length; k++)
        {
            cumulative += probabilities[k];
            if (u < cumulative) return k;
        }
        return probabilities.Length - 1;
    }

    private static int ArgMax(double[] values)
    {
        int best = 0;
        for (int k = 1; k < values.Length; k++)
            if (values[k] > values[best]) best = k;
        return best;
    }

    /// <summary>Throws one line naming the sequence and the position when a sequence has the wrong length or a
    /// token outside its decision's range.</summary>
    private void Validate(int[] tokens, int sequence)
    {
        if (tokens is null) throw new ArgumentException($"ArchitectureController: sequence {sequence} is null");
        if (tokens.Length != _choices.Length)
            throw new ArgumentException($"ArchitectureController: sequence {sequence} has {tokens.Length} tokens, the controller makes {_choices.Length} decisions");
        for (int i = 0; i < tokens.Length; i++)
            if (tokens[i] < 0 || tokens[i] >= _choices[i])
                throw new ArgumentException($"ArchitectureController: sequence {sequence}, position {i}: token {tokens[i]} is outside 0..{_choices[i] - 1}");
    }

    public override void Dispose()
    {
        Group.Dispose();
        base.Dispose();
    }
}
