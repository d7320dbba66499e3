// Philox4x32-10 random streams, the same mapping as the CPU's Philox.cs: element i of the output takes the
// four words of counter (offset + i, 0) under key = seed. Uniform values agree bit for bit with the CPU.
// Normal values go through Box–Muller in double with this prelude's log/cos instead of the CPU's Math.Log
// and Math.Cos (about 1 ulp apart in double), so a Float32 normal can differ from the CPU's in its last bit
// and a Float64 normal by a few ulp.
#include "prelude.cuh"

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
