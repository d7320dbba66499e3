namespace NativeMtl.Kernels;

/// <summary>
/// Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11), the counter-based
/// generator every backend uses. Element i of a random tensor takes the four words of counter
/// (offset + i, 0) under key = seed, and maps them to a value the same way on every device:
/// uniform Float32 from the top 24 bits of word 0; uniform Float64 from 53 bits of words 0 and 1;
/// normal by Box–Muller (the cosine branch), computed in double, from (word 0, word 1) for Float32 and
/// from 53-bit pairs (words 0–1, words 2–3) for Float64.
/// </summary>
public static class Philox
{
    private const uint M0 = 0xD2511F53, M1 = 0xCD9E8D57, W0 = 0x9E3779B9, W1 = 0xBB67AE85;

    /// <summary>The four words of counter (counter, 0) under key = seed.</summary>
    public static (uint, uint, uint, uint) Block(ulong counter, ulong seed) =>
        Block((uint)counter, (uint)(counter >> 32), 0, 0, (uint)seed, (uint)(seed >> 32));

    /// <summary>The full 128-bit-counter, 64-bit-key form, as in Random123's known-answer tests.</summary>
    public static (uint, uint, uint, uint) Block(uint c0, uint c1, uint c2, uint c3, uint k0, uint k1)
    {
        for (int round = 0; round < 10; round++)
        {
            ulong p0 = (ulong)M0 * c0, p1 = (ulong)M1 * c2;
            uint hi0 = (uint)(p0 >> 32), lo0 = (uint)p0, hi1 = (uint)(p1 >> 32), lo1 = (uint)p1;
            (c0, c1, c2, c3) = (hi1 ^ c1 ^ k0, lo1, hi0 ^ c3 ^ k1, lo0);
            k0 += W0;
            k1 += W1;
        }
        return (c0, c1, c2, c3);
    }

    /// <summary>[0, 1) with 24 random bits.</summary>
    public static float UnitFloat(uint word) => (word >> 8) * (1.0f / 16777216.0f);

    /// <summary>[0, 1) with 53 random bits.</summary>
    public static double UnitDouble(uint high, uint low) => ((high >> 5) * 67108864.0 + (low >> 6)) * (1.0 / 9007199254740992.0);

    public static float UniformFloat(ulong counter, ulong seed, float low, float high)
    {
        var (w0, _, _, _) = Block(counter, seed);
        return low + (high - low) * UnitFloat(w0);
    }

    public static double UniformDouble(ulong counter, ulong seed, double low, double high)
    {
        var (w0, w1, _, _) = Block(counter, seed);
        return low + (high - low) * UnitDouble(w0, w1);
    }

    public static float NormalFloat(ulong counter, ulong seed, double mean, double std)
    {
        var (w0, w1, _, _) = Block(counter, seed);
        return (float)(mean + std * StandardNormal(w0, w1));
    }

    /// <summary>A standard normal from the top 24 bits of two words (Box–Muller, cosine branch): the Float32 normal.</summary>
    public static double StandardNormal(uint w0, uint w1) => BoxMuller(((w0 >> 8) + 1) * (1.0 / 16777216.0), (w1 >> 8) * (1.0 / 16777216.0));

    public static double NormalDouble(ulong counter, ulong seed, double mean, double std)
    {
        var (w0, w1, w2, w3) = Block(counter, seed);
        double u1 = 1.0 - UnitDouble(w0, w1);
        double u2 = UnitDouble(w2, w3);
        return mean + std * BoxMuller(u1, u2);
    }

    /// <summary>u1 in (0, 1], u2 in [0, 1).</summary>
    private static double BoxMuller(double u1, double u2) => Math.Sqrt(-2.0 * Math.Log(u1)) * Math.Cos(2.0 * Math.PI * u2);
}
