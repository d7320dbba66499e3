using NativeMtl.Models;

namespace NativeMtl.Tests.Models.Search;

public class ControllerPpoTests
{
    /// <summary>Two of seed 001's cells: input, input, adaptor op, adaptor op, aggregator.</summary>
    private static readonly int[] TwoCells = [3, 3, 6, 6, 2, 3, 3, 6, 6, 2];
    private static readonly int[] OpPositions = [2, 3, 7, 8];

    private static double FractionOfOp4(int[] tokens) => OpPositions.Count(i => tokens[i] == 4) / 4.0;

    private static (int[] Tokens, double Reward)[] SampleBatch(ArchitectureController controller, Generator generator, int size) =>
        Enumerable.Range(0, size).Select(_ => controller.Sample(generator)).Select(t => (t, FractionOfOp4(t))).ToArray();

    [Fact]
    public void TheClippedSurrogateHasNoGradientOnceTheRatioLeavesTheClipRangeInTheAdvantagesFavour()
    {
        using var scope = DisposeScope.Enter();
        // Ratios 1.5, 1.1, 0.5, 1.5 with advantages 1, 1, −1, −2 and ε = 0.2: the first is clipped at 1.2 (A > 0) and
        // the third at 0.8 (A < 0), so neither moves the loss; the second is inside the range; the fourth left it
        // against its advantage, where the min keeps the unclipped, worse term.
        var logProbability = Tensors.FromArray([Math.Log(1.5), Math.Log(1.1), Math.Log(0.5), Math.Log(1.5)], 4);
        logProbability.RequiresGrad = true;
        var old = Tensors.Zeros(new Shape(4), DType.Float64);
        var advantage = Tensors.FromArray([1.0, 1, -1, -2], 4);

        var loss = ControllerPpo.ClippedSurrogateLoss(logProbability, old, advantage, clip: 0.2);
        loss.Backward();

        // −(1.2 + 1.1 − 0.8 − 3) / 4; d/d log π of −r·A / 4 is −r·A / 4.
        Assert.Equal(0.375, loss.Item(), 14);
        TestData.Close([0, -1.1 / 4, 0, 1.5 * 2 / 4], logProbability.Grad!.ToArray<double>(), 1e-14);
    }

    [Fact]
    public void TheBaselineStartsAtTheFirstBatchsMeanAndThenMovesAverage()
    {
        using var controller = new ArchitectureController([3, 2], new ControllerOptions(Hidden: 8), seed: 1);
        using var ppo = new ControllerPpo(controller, new PpoOptions());
        Assert.Null(ppo.Baseline);
        ppo.Update([([0, 0], 1.0), ([1, 1], 0.0), ([2, 0], 0.5)]);
        Assert.Equal(0.5, ppo.Baseline!.Value, 15);
        ppo.Update([([0, 0], 1.0), ([1, 1], 1.0)]);
        Assert.Equal(0.9 * 0.5 + 0.1 * 1.0, ppo.Baseline!.Value, 15);
    }

    [Fact]
    public void TheFirstEpochsLossIsMinusTheMeanAdvantageOverTheBaselineBeforeTheBatchMinusTheEntropyTerm()
    {
        using var scope = DisposeScope.Enter();
        using var controller = new ArchitectureController([3, 2], new ControllerOptions(Hidden: 8), seed: 1);
        using var ppo = new ControllerPpo(controller, new PpoOptions(Epochs: 1, EntropyWeight: 0.01));
        int[][] sequences = [[0, 0], [1, 1]];
        ppo.Update([(sequences[0], 1.0), (sequences[1], 0.0)]);
        double entropy = controller.Evaluate(sequences).Entropy.ToArray<double>().Average();

        ppo.Update([(sequences[0], 1.0), (sequences[1], 1.0)]);

        // The ratio is 1 at the first epoch, so the surrogate is −mean(A) = −mean(1 − 0.5).
        Assert.Equal(-0.5 - 0.01 * entropy, ppo.LastLoss!.Value, 14);
    }

    [Fact]
    public void ReplayingTheSameBatchesReproducesTheParametersAndTheNextSamplesBitForBit()
    {
        var rewards = new List<double[]>();
        int[] Run(bool replay, out double[] parameters)
        {
            using var controller = new ArchitectureController(TwoCells, new ControllerOptions(Hidden: 16), seed: 3);
            using var ppo = new ControllerPpo(controller, new PpoOptions(LearningRate: 0.01));
            var generator = new Generator(4);
            for (int update = 0; update < 5; update++)
            {
                var tokens = Enumerable.Range(0, 4).Select(_ => controller.Sample(generator)).ToArray();
                if (!replay) rewards.Add(tokens.Select(FractionOfOp4).ToArray());
                ppo.Update(tokens.Zip(rewards[update]).ToArray());
            }
            parameters = controller.Group.Values.ToArray<double>();
            return controller.Sample(generator);
        }

        var next = Run(replay: false, out var original);
        var replayedNext = Run(replay: true, out var replayed);

        Assert.Equal(original, replayed);
        Assert.Equal(next, replayedNext);
        using var untrained = new ArchitectureController(TwoCells, new ControllerOptions(Hidden: 16), seed: 3);
        Assert.NotEqual(untrained.Group.Values.ToArray<double>(), original);
    }

    [Fact]
    public void TheControllerLearnsAToyRewardWithinFiftyBatchesOfEight()
    {
        // The reward is the fraction of the four adaptor ops that are op 4; at the start each is 1/6 likely.
        using var controller = new ArchitectureController(TwoCells, new ControllerOptions(), seed: 1);
        using var ppo = new ControllerPpo(controller, new PpoOptions());
        var generator = new Generator(2);
        for (int update = 0; update < 50; update++) ppo.Update(SampleBatch(controller, generator, 8));

        var greedy = controller.MostLikely();
        Assert.All(OpPositions, i => Assert.Equal(4, greedy[i]));
        Assert.True(SampleBatch(controller, generator, 32).Average(s => s.Reward) > 0.8);
    }

    [Fact]
    public void RefusesAnEmptyBatchOrARewardThatIsNotFinite()
    {
        using var controller = new ArchitectureController([3, 2], new ControllerOptions(Hidden: 8), seed: 1);
        using var ppo = new ControllerPpo(controller, new PpoOptions());
        Assert.Equal("ControllerPpo.Update: the batch is empty", Assert.Throws<ArgumentException>(() => ppo.Update([])).Message);
        Assert.Equal("ControllerPpo.Update: sequence 1 has reward NaN; rewards must be finite",
            Assert.Throws<ArgumentException>(() => ppo.Update([([0, 0], 1.0), ([1, 1], double.NaN)])).Message);
        Assert.Equal("PpoOptions: Clip must be in (0, 1), not 0",
            Assert.Throws<ArgumentException>(() => new ControllerPpo(controller, new PpoOptions(Clip: 0))).Message);
    }
}
