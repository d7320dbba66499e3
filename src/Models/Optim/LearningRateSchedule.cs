namespace NativeMtl.Models;

/// <summary>The learning rate for each step of a run of known length.</summary>
public interface ILearningRateSchedule
{
    double At(int step);
}

public sealed record ConstantSchedule(double LearningRate) : ILearningRateSchedule
{
    public double At(int step) => LearningRate;
}

/// <summary>Cosine decay from the base rate to a floor over totalSteps (torch's CosineAnnealingLR, T_max = totalSteps).</summary>
public sealed record CosineSchedule(double BaseRate, int TotalSteps, double MinRate = 0) : ILearningRateSchedule
{
    public double At(int step) =>
        MinRate + (BaseRate - MinRate) * (1 + Math.Cos(Math.PI * Math.Min(step, TotalSteps) / TotalSteps)) / 2;
}

/// <summary>Polynomial decay base·(1 − step/total)^power, DeepLab's "poly" rule (power 0.9).</summary>
public sealed record PolySchedule(double BaseRate, int TotalSteps, double Power = 0.9) : ILearningRateSchedule
{
    public double At(int step) => BaseRate * Math.Pow(1 - (double)Math.Min(step, TotalSteps) / TotalSteps, Power);
}
