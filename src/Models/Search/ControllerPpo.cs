using NativeMtl.Kernels;
using NativeMtl.Raw;

namespace NativeMtl.Models;

/// <summary>
/// Trains an <see cref="ArchitectureController"/> with PPO (Schulman et al. 2017) on rewarded sequences, as seed 001
/// estimates its controller's gradients. Each batch: the log-probabilities under the current policy are taken once,
/// the advantages are reward − baseline (the baseline before this batch), then <see cref="PpoOptions.Epochs"/> Adam
/// steps on the clipped surrogate minus β·mean entropy, then the baseline moves toward the batch's mean reward.
/// <para>Nothing here draws random numbers, and the controller is Float64 on the CPU, so a search resumed by
/// replaying its log (rebuild the controller from its seed; per logged batch, sample with the same generator and
/// update with the logged rewards) ends with the same parameters, bit for bit.</para>
/// </summary>
public sealed class ControllerPpo : IDisposable
{
    private readonly ArchitectureController _controller;
    private readonly PpoOptions _options;
    private readonly Adam _adam;

    public ControllerPpo(ArchitectureController controller, PpoOptions options)
    {
        ArgumentNullException.ThrowIfNull(controller);
        ArgumentNullException.ThrowIfNull(options);
        options.Validate();
        _controller = controller;
        _options = options;
        _adam = new Adam([controller.Group], new AdamOptions(options.LearningRate));
    }

    /// <summary>The moving average of batch-mean rewards; null before the first update, which starts it at that
    /// batch's mean.</summary>
    public double? Baseline { get; private set; }

    /// <summary>The loss of the last epoch of the last update (before its Adam step), for logging.</summary>
    public double? LastLoss { get; private set; }

    /// <summary>One PPO update on a batch of sampled sequences and their rewards.</summary>
    public void Update(IReadOnlyList<(int[] Tokens, double Reward)> batch)
    {
        ArgumentNullException.ThrowIfNull(batch);
        if (batch.Count == 0) throw new ArgumentException("ControllerPpo.Update: the batch is empty");
        for (int b = 0; b < batch.Count; b++)
            if (!double.IsFinite(batch[b].Reward))
                throw new ArgumentException($"ControllerPpo.Update: sequence {b} has reward {batch[b].Reward}; rewards must be finite");

        var sequences = batch.Select(s => s.Tokens).ToArray();
        double meanReward = batch.Average(s => s.Reward);
        double baseline = Baseline ?? meanReward;
        using var scope = DisposeScope.Enter();
        var advantage = Tensors.FromArray(batch.Select(s => s.Reward - baseline).ToArray(), batch.Count);
        Tensor oldLogProbability;
        using (GradMode.NoGrad()) oldLogProbability = _controller.Evaluate(sequences).LogProbability;

        for (int epoch = 0; epoch < _options.Epochs; epoch++)
        {
            using var step = DisposeScope.Enter();
            _adam.ZeroGrad();
            var (logProbability, entropy) = _controller.Evaluate(sequences);
            var loss = ClippedSurrogateLoss(logProbability, oldLogProbability, advantage, _options.Clip)
                - F.Mean(entropy) * _options.EntropyWeight;
            loss.Backward();
            LastLoss = loss.Item();
            _adam.Step();
        }
        Baseline = _options.BaselineDecay * baseline + (1 - _options.BaselineDecay) * meanReward;
    }

    /// <summary>
    /// PPO's clipped surrogate as a loss: −mean(min(r·A, clip(r, 1 − ε, 1 + ε)·A)) with r = exp(log π − log π_old).
    /// The min is pessimistic: once r has left [1 − ε, 1 + ε] in the direction the advantage favours, the clipped
    /// term is the smaller and its gradient is zero, so one batch cannot push the policy far.
    /// </summary>
    public static Tensor ClippedSurrogateLoss(Tensor logProbability, Tensor oldLogProbability, Tensor advantage, double clip)
    {
        return DisposeScope.Run(() =>
        {
            var ratio = F.Exp(logProbability - oldLogProbability);
            var unclipped = ratio * advantage;
            var clipped = F.Clamp(ratio, 1 - clip, 1 + clip) * advantage;
            var clippedIsSmaller = Ops.Binary(BinaryOp.Greater, unclipped, clipped);
            return -F.Mean(F.Where(clippedIsSmaller, clipped, unclipped));
        });
    }

    public void Dispose() => _adam.Dispose();
}
