// GradDrop (Chen et al. 2020, "Just Pick a Sign"), fused: per-task gradients at the shared feature, g[k, n, f]
// (K tasks, N samples, F feature positions), and the feature itself x[n, f]. A thread per position f:
//   s_k = Σ_n g[k, n, f]·sign(x[n, f])                     (the task's signed gradient there, summed over the batch)
//   P   = ½·(1 + Σ_k s_k / (Σ_k |s_k| + 1e-7))             (the positive sign's purity)
//   M_k = [P > U and s_k > 0] or [P < U and s_k < 0]       (U uniform in [0, 1), Philox counter offset + f)
//   y[n, f] = Σ_k g[k, n, f]·(leak + (1 − leak)·M_k)
// in double, K at most NMTL_GRADDROP_MAX_TASKS. The CPU twin (Cpu/GradDrop.cs) draws U from the same counter.
#include "prelude.cuh"

#define NMTL_GRADDROP_MAX_TASKS 16

template <typename T>
NMTL_DEV void graddrop(int k, i64 n, i64 f, const T* g, const T* x, u64 seed, u64 offset, double leak, T* y)
{
    NMTL_GRID_STRIDE(p, f)
    {
        double s[NMTL_GRADDROP_MAX_TASKS];
        double total = 0.0, magnitude = 0.0;
        for (int t = 0; t < k; ++t)
        {
            double acc = 0.0;
            for (i64 i = 0; i < n; ++i)
            {
                double v = (double)x[i * f + p];
                double sign = v > 0 ? 1.0 : v < 0 ? -1.0 : 0.0;
                acc += (double)g[((i64)t * n + i) * f + p] * sign;
            }
            s[t] = acc;
            total += acc;
            magnitude += acc < 0 ? -acc : acc;
        }
        double purity = 0.5 * (1.0 + total / (magnitude + 1e-7));
        PhiloxWords w = philox_block(offset + (u64)p, seed);
        double u = unit_double(w.w0, w.w1);
        double keep[NMTL_GRADDROP_MAX_TASKS];
        for (int t = 0; t < k; ++t)
        {
            bool mask = (purity > u && s[t] > 0) || (purity < u && s[t] < 0);
            keep[t] = leak + (1.0 - leak) * (mask ? 1.0 : 0.0);
        }
        for (i64 i = 0; i < n; ++i)
        {
            double acc = 0.0;
            for (int t = 0; t < k; ++t) acc += (double)g[((i64)t * n + i) * f + p] * keep[t];
            y[i * f + p] = (T)acc;
        }
    }
}

#define NMTL_GRADDROP(suffix, T)                                                                                     \
    NMTL_KERNEL graddrop_##suffix(int k, i64 n, i64 f, const T* g, const T* x, u64 seed, u64 offset, double leak,  \
                                  T* y)                                                                              \
    {                                                                                                                \
        graddrop<T>(k, n, f, g, x, seed, offset, leak, y);                                                           \
    }                                                                                                                \
    NMTL_EXPORT(graddrop_##suffix)

NMTL_GRADDROP(f32, float)
NMTL_GRADDROP(f64, double)
