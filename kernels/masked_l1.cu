// Masked L1, forward and backward fused. partial: one pass writes the unscaled gradient mask·sign(d) and each
// block's sums of mask·|d| and mask; finish: one block adds the partials in block order and writes the loss and
// the scale 1/max(Σ mask, 1); scale: the gradient is multiplied by that scale, read from the device.
#include "prelude.cuh"

template <typename T>
NMTL_DEV void masked_l1_partial(i64 n, const T* pred, const T* target, const T* mask, T* gradient, double* partial)
{
    double errors = 0.0, weights = 0.0;
    NMTL_GRID_STRIDE(i, n)
    {
        T d = pred[i] - target[i], m = mask[i];
        errors += (double)(m * (d < (T)0 ? -d : d));
        weights += (double)m;
        gradient[i] = d > (T)0 ? m : d < (T)0 ? -m : d * m;
    }
    errors = block_sum(errors);
    weights = block_sum(weights);
    if (threadIdx.x == 0)
    {
        partial[2 * (i64)blockIdx.x] = errors;
        partial[2 * (i64)blockIdx.x + 1] = weights;
    }
}

template <typename T>
NMTL_DEV void masked_l1_finish(int blocks, const double* partial, T* loss, T* scale)
{
    double errors = 0.0, weights = 0.0;
    for (int b = threadIdx.x; b < blocks; b += blockDim.x)
    {
        errors += partial[2 * (i64)b];
        weights += partial[2 * (i64)b + 1];
    }
    errors = block_sum(errors);
    weights = block_sum(weights);
    if (threadIdx.x == 0)
    {
        double s = 1.0 / (weights > 1.0 ? weights : 1.0);
        *loss = (T)(errors * s);
        *scale = (T)s;
    }
}

template <typename T>
NMTL_DEV void masked_l1_scale(i64 n, const T* scale, T* gradient)
{
    T s = *scale;
    NMTL_GRID_STRIDE(i, n) gradient[i] *= s;
}

#define NMTL_MASKED_L1(suffix, T)                                                                                     \
    NMTL_KERNEL masked_l1_partial_##suffix(i64 n, const T* pred, const T* target, const T* mask, T* gradient,        \
                                           double* partial)                                                          \
    {                                                                                                                 \
        masked_l1_partial<T>(n, pred, target, mask, gradient, partial);                                              \
    }                                                                                                                 \
    NMTL_EXPORT(masked_l1_partial_##suffix)                                                                           \
    NMTL_KERNEL masked_l1_finish_##suffix(int blocks, const double* partial, T* loss, T* scale)                       \
    {                                                                                                                 \
        masked_l1_finish<T>(blocks, partial, loss, scale);                                                            \
    }                                                                                                                 \
    NMTL_EXPORT(masked_l1_finish_##suffix)                                                                            \
    NMTL_KERNEL masked_l1_scale_##suffix(i64 n, const T* scale, T* gradient)                                          \
    {                                                                                                                 \
        masked_l1_scale<T>(n, scale, gradient);                                                                       \
    }                                                                                                                 \
    NMTL_EXPORT(masked_l1_scale_##suffix)

NMTL_MASKED_L1(f32, float)
NMTL_MASKED_L1(f64, double)
