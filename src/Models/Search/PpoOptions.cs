namespace NativeMtl.Models;

/// <summary>
/// How <see cref="ControllerPpo"/> trains the controller (PPO, Schulman et al. 2017, with ENAS's moving-average
/// baseline). The learning rate is the controller_lr of ENAS's macro-search script, 1e-3: seed 001 samples only
/// about 2000 architectures, and on the toy search of ControllerPpoTests (400 samples) 3.5e-4 ends at a mean reward
/// of about 0.75 where 1e-3 reaches about 0.94.
/// </summary>
/// <param name="LearningRate">Adam's step size.</param>
/// <param name="Epochs">Adam steps on each batch, each on the clipped surrogate.</param>
/// <param name="Clip">PPO's ε: the probability ratio counts only within [1 − ε, 1 + ε].</param>
/// <param name="EntropyWeight">β, the weight of the mean summed entropy subtracted from the loss (ENAS: 1e-4).</param>
/// <param name="BaselineDecay">The baseline's moving-average decay: b ← decay·b + (1 − decay)·mean reward (ENAS: 0.99
/// per sample; 0.9 per batch of 8 forgets at a similar rate).</param>
public sealed record PpoOptions(
    double LearningRate = 1e-3,
    int Epochs = 4,
    double Clip = 0.2,
    double EntropyWeight = 1e-4,
    double BaselineDecay = 0.9)
{
    internal void Validate()
    {
        if (!(LearningRate > 0) || double.IsInfinity(LearningRate))
            throw new ArgumentException($"PpoOptions: LearningRate must be positive and finite, not {LearningRate}");
        if (Epochs < 1) throw new ArgumentException($"PpoOptions: Epochs must be at least 1, not {Epochs}");
        if (!(Clip > 0 && Clip < 1)) throw new ArgumentException($"PpoOptions: Clip must be in (0, 1), not {Clip}");
        if (!(EntropyWeight >= 0) || double.IsInfinity(EntropyWeight))
            throw new ArgumentException($"PpoOptions: EntropyWeight must be non-negative and finite, not {EntropyWeight}");
        if (!(BaselineDecay >= 0 && BaselineDecay < 1))
            throw new ArgumentException($"PpoOptions: BaselineDecay must be in [0, 1), not {BaselineDecay}");
    }
}
