namespace NativeMtl.Models;

/// <summary>
/// The shape of an <see cref="ArchitectureController"/>'s LSTM and how its logits are tempered, as ENAS
/// (Pham et al. 2018) does: logits = TanhConstant·tanh(z / Temperature), or z / Temperature when TanhConstant is
/// null. The tanh bounds every logit to ±TanhConstant, so no option's probability can fall to zero and the search
/// never stops exploring. ENAS's scripts use temperature 5 with tanh constants 1.1 to 1.5 (and smaller for its
/// op choices), which caps the most likely of six options at 0.64 to 0.80; the default here is 2.5, a cap of
/// e^2.5 / (e^2.5 + 5·e^−2.5) ≈ 0.97, so that a search of seed 001's size (about 2000 samples) can commit to an
/// option while still trying the others now and then.
/// </summary>
/// <param name="Hidden">The LSTM's hidden size, also the size of the start input and of each token embedding (ENAS: 64).</param>
/// <param name="Temperature">Divides the raw logits before the tanh (ENAS: 5).</param>
/// <param name="TanhConstant">The bound of the squashed logits, or null for none.</param>
public sealed record ControllerOptions(int Hidden = 64, double Temperature = 5.0, double? TanhConstant = 2.5)
{
    internal void Validate()
    {
        if (Hidden < 1) throw new ArgumentException($"ControllerOptions: Hidden must be at least 1, not {Hidden}");
        if (!(Temperature > 0) || double.IsInfinity(Temperature))
            throw new ArgumentException($"ControllerOptions: Temperature must be positive and finite, not {Temperature}");
        if (TanhConstant is { } c && (!(c > 0) || double.IsInfinity(c)))
            throw new ArgumentException($"ControllerOptions: TanhConstant must be positive and finite (or null for none), not {c}");
    }
}
