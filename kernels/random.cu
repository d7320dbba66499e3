// Philox4x32-10 random streams, the same mapping as the CPU's Philox.cs: element i of the output takes the
// four words of counter (offset + i, 0) under key = seed. Uniform values agree bit for bit with the CPU.
// Normal values go through Box–Muller in double with this prelude's log/cos instead of the CPU's Math.Log
// and Math.Cos (about 1 ulp apart in double), so a Float32 normal can differ from the CPU's in its last bit
// and a Float64 normal by a few ulp.
#include "prelude.cuh"

struct PhiloxWords
{
    unsigned w0, w1, w2, w3;
};

NMTL_DEV PhiloxWords philox_block(u64 counter, u64 seed)
{
    unsigned c0 = (unsigned)counter, c1 = (unsigned)(counter >> 32), c2 = 0, c3 = 0;
    unsigned k0 = (unsigned)seed, k1 = (unsigned)(seed >> 32);
    for (int round = 0; round < 10; ++round)
    {
        unsigned hi0 = mul_hi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
        unsigned hi1 = mul_hi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
        unsigned n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    return { c0, c1, c2, c3 };
}

NMTL_DEV float unit_float(unsigned word) { return (float)(word >> 8) * (1.0f / 16777216.0f); }

NMTL_DEV double unit_double(unsigned high, unsigned low)
{
    return ((double)(high >> 5) * 67108864.0 + (double)(low >> 6)) * (1.0 / 9007199254740992.0);
}

// u1 in (0, 1], u2 in [0, 1); 2π·u2 rounds as the CPU's (2.0 * Math.PI) * u2 does.
NMTL_DEV double box_muller(double u1, double u2)
{
    return mul_rn(sqrt_rn(mul_rn(-2.0, log_of(u1))), cos_of(mul_rn(6.283185307179586, u2)));
}

NMTL_KERNEL random_uniform_f32(i64 n, float* y, u64 seed, u64 offset, double low, double high)
{
    float lo = (float)low, span = add_rn((float)high, -lo);
    NMTL_GRID_STRIDE(i, n) y[i] = add_rn(lo, mul_rn(span, unit_float(philox_block(offset + (u64)i, seed).w0)));
}
NMTL_EXPORT(random_uniform_f32)

NMTL_KERNEL random_uniform_f64(i64 n, double* y, u64 seed, u64 offset, double low, double high)
{
    double span = add_rn(high, -low);
    NMTL_GRID_STRIDE(i, n)
    {
        PhiloxWords w = philox_block(offset + (u64)i, seed);
        y[i] = add_rn(low, mul_rn(span, unit_double(w.w0, w.w1)));
    }
}
NMTL_EXPORT(random_uniform_f64)

NMTL_KERNEL random_normal_f32(i64 n, float* y, u64 seed, u64 offset, double mean, double std)
{
    NMTL_GRID_STRIDE(i, n)
    {
        PhiloxWords w = philox_block(offset + (u64)i, seed);
        double u1 = (double)((w.w0 >> 8) + 1) * (1.0 / 16777216.0);
        double u2 = (double)(w.w1 >> 8) * (1.0 / 16777216.0);
        y[i] = (float)add_rn(mean, mul_rn(std, box_muller(u1, u2)));
    }
}
NMTL_EXPORT(random_normal_f32)

NMTL_KERNEL random_normal_f64(i64 n, double* y, u64 seed, u64 offset, double mean, double std)
{
    NMTL_GRID_STRIDE(i, n)
    {
        PhiloxWords w = philox_block(offset + (u64)i, seed);
        double u1 = add_rn(1.0, -unit_double(w.w0, w.w1));
        double u2 = unit_double(w.w2, w.w3);
        y[i] = add_rn(mean, mul_rn(std, box_muller(u1, u2)));
    }
}
NMTL_EXPORT(random_normal_f64)
