using NativeMtl.Models;
using NativeMtl.Raw;

namespace NativeMtl.Tests.Models.Search;

public class ArchitectureControllerTests
{
    private static readonly ControllerOptions Small = new(Hidden: 8);

    /// <summary>Every sequence of a small space, in lexicographic order.</summary>
    private static int[][] AllSequences(params int[] choices) =>
        choices.Aggregate(new[] { Array.Empty<int>() }, (prefixes, k) => prefixes.SelectMany(p => Enumerable.Range(0, k).Select(t => (int[])[.. p, t])).ToArray());

    private static double[] LogProbabilities(ArchitectureController controller, int[][] sequences)
    {
        using var scope = DisposeScope.Enter();
        return controller.Evaluate(sequences).LogProbability.ToArray<double>();
    }

    [Fact]
    public void ParametersAreFloat64WithOneHeadPerDecisionAndOneEmbeddingPerDecisionThatFeedsAnother()
    {
        using var controller = new ArchitectureController([3, 6, 2], Small, seed: 1);
        Assert.Equal(["start", "embedding0", "embedding1", "lstm.weight_ih", "lstm.weight_hh", "lstm.bias_ih", "lstm.bias_hh",
            "heads.0.weight", "heads.1.weight", "heads.2.weight"], controller.NamedParameters().Select(p => p.Path));
        Assert.Equal([new Shape(3, 8), new Shape(6, 8)], controller.NamedParameters().Where(p => p.Path.StartsWith("embedding")).Select(p => p.Parameter.Shape));
        Assert.Equal([new Shape(3, 8), new Shape(6, 8), new Shape(2, 8)], controller.Heads.Select(h => h.Weight.Shape));
        Assert.All(controller.Parameters(), p => Assert.Equal(DType.Float64, p.Value.DType));
    }

    [Fact]
    public void TheSeedAloneDecidesTheInitialParameters()
    {
        using var a = new ArchitectureController([3, 6, 2], Small, seed: 5);
        using var b = new ArchitectureController([3, 6, 2], Small, seed: 5);
        using var c = new ArchitectureController([3, 6, 2], Small, seed: 6);
        Assert.Equal(a.Group.Values.ToArray<double>(), b.Group.Values.ToArray<double>());
        Assert.NotEqual(a.Group.Values.ToArray<double>(), c.Group.Values.ToArray<double>());
        Assert.All(a.Group.Values.ToArray<double>(), v => Assert.InRange(v, -1 / Math.Sqrt(8), 1 / Math.Sqrt(8)));
    }

    [Fact]
    public void SamplingIsDeterministicForAGeneratorSeed()
    {
        using var controller = new ArchitectureController([3, 3, 6, 6, 2], Small, seed: 1);
        int[][] Draw(ulong seed)
        {
            var generator = new Generator(seed);
            return Enumerable.Range(0, 10).Select(_ => controller.Sample(generator)).ToArray();
        }

        Assert.Equal(Draw(7), Draw(7));
        Assert.NotEqual(Draw(7), Draw(8));
    }

    [Fact]
    public void SamplesStayWithinEachPositionsRangeAndReachEveryOption()
    {
        int[] choices = [1, 3, 6, 2];
        using var controller = new ArchitectureController(choices, Small, seed: 1);
        var generator = new Generator(3);
        var samples = Enumerable.Range(0, 200).Select(_ => controller.Sample(generator)).ToArray();
        Assert.All(samples, s => Assert.Equal(0, s[0]));
        for (int i = 0; i < choices.Length; i++)
            Assert.Equal(Enumerable.Range(0, choices[i]), samples.Select(s => s[i]).Distinct().Order());
    }

    [Fact]
    public void TheProbabilitiesOfAllSequencesOfASmallSpaceSumToOne()
    {
        using var controller = new ArchitectureController([2, 3], Small, seed: 1);
        var all = AllSequences(2, 3);
        Assert.Equal(1.0, LogProbabilities(controller, all).Sum(Math.Exp), 14);
    }

    [Fact]
    public void EachSequenceIsEvaluatedAsIfAlone()
    {
        using var controller = new ArchitectureController([2, 3, 4], Small, seed: 1);
        var all = AllSequences(2, 3, 4);
        var together = LogProbabilities(controller, all);
        var alone = all.Select(s => LogProbabilities(controller, [s])[0]).ToArray();
        TestData.Close(alone, together, 1e-14);
    }

    [Fact]
    public void TheFirstDecisionsLogProbabilityIsTheLogSoftmaxOfTheTemperedHeadByHand()
    {
        using var scope = DisposeScope.Enter();
        using var controller = new ArchitectureController([3], Small, seed: 2);
        var start = controller.NamedParameters().Single(p => p.Path == "start").Parameter.Value;
        var zeros = Tensors.Zeros(new Shape(1, 8), DType.Float64);
        var h = controller.Lstm.Forward(start, zeros, zeros).H.ToArray<double>();
        var w = controller.Heads[0].Weight.Value.ToArray<double>();
        // logits = 2.5·tanh(W·h / 5), the default tempering.
        var logits = Enumerable.Range(0, 3).Select(k => 2.5 * Math.Tanh(Enumerable.Range(0, 8).Sum(j => w[k * 8 + j] * h[j]) / 5)).ToArray();
        double logTotal = Math.Log(logits.Sum(Math.Exp));

        var (logProbability, entropy) = controller.Evaluate([[0], [1], [2]]);

        TestData.Close(logits.Select(z => z - logTotal).ToArray(), logProbability.ToArray<double>(), 1e-15);
        double byHand = -logits.Sum(z => Math.Exp(z - logTotal) * (z - logTotal));
        Assert.All(entropy.ToArray<double>(), e => Assert.Equal(byHand, e, 15));
    }

    [Fact]
    public void ZeroHeadsGiveUniformChoicesWhoseEntropyIsLnK()
    {
        using var scope = DisposeScope.Enter();
        using var controller = new ArchitectureController([4, 3], Small, seed: 1);
        foreach (var head in controller.Heads) Ops.FillInto(head.Weight.Value, 0);
        var (logProbability, entropy) = controller.Evaluate([[0, 0], [3, 2]]);
        Assert.All(logProbability.ToArray<double>(), l => Assert.Equal(-Math.Log(12), l, 14));
        Assert.All(entropy.ToArray<double>(), e => Assert.Equal(Math.Log(4) + Math.Log(3), e, 14));
    }

    [Fact]
    public void MostLikelyTakesTheArgmaxAtEachStepGivenTheTokensBefore()
    {
        using var controller = new ArchitectureController([3, 4], Small, seed: 4);
        var all = AllSequences(3, 4);
        var p = LogProbabilities(controller, all).Select(Math.Exp).ToArray();
        // p(first) = Σ p(first, second); p(second | first) ∝ p(first, second).
        int first = Enumerable.Range(0, 3).MaxBy(t => Enumerable.Range(0, 4).Sum(u => p[t * 4 + u]));
        int second = Enumerable.Range(0, 4).MaxBy(u => p[first * 4 + u]);
        Assert.Equal([first, second], controller.MostLikely());
    }

    [Fact]
    public void RefusesADecisionWithoutOptionsNamingItsPosition()
    {
        var e = Assert.Throws<ArgumentException>(() => new ArchitectureController([3, 0, 2], Small, seed: 1));
        Assert.Equal("ArchitectureController: decision 1 has 0 options; each needs at least 1", e.Message);
        e = Assert.Throws<ArgumentException>(() => new ArchitectureController([], Small, seed: 1));
        Assert.Equal("ArchitectureController: there must be at least one decision", e.Message);
        e = Assert.Throws<ArgumentException>(() => new ArchitectureController([2], new ControllerOptions(Hidden: 0), seed: 1));
        Assert.Equal("ControllerOptions: Hidden must be at least 1, not 0", e.Message);
    }

    [Fact]
    public void RefusesTokensOfTheWrongCountOrOutOfRangeInOneLine()
    {
        using var controller = new ArchitectureController([3, 3, 2], Small, seed: 1);
        var e = Assert.Throws<ArgumentException>(() => controller.Evaluate([[0, 1, 1], [0, 3, 0]]));
        Assert.Equal("ArchitectureController: sequence 1, position 1: token 3 is outside 0..2", e.Message);
        e = Assert.Throws<ArgumentException>(() => controller.Evaluate([[0, 1]]));
        Assert.Equal("ArchitectureController: sequence 0 has 2 tokens, the controller makes 3 decisions", e.Message);
        e = Assert.Throws<ArgumentException>(() => controller.Evaluate([[-1, 0, 0]]));
        Assert.Equal("ArchitectureController: sequence 0, position 0: token -1 is outside 0..2", e.Message);
    }
}
