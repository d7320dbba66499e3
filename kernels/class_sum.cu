// Per-class sums, for the per-class losses of the class-wise balancer: sums[c] = Σ values[i] over the positions i
// whose label is c (a label outside [0, classes) belongs to no class), and its transpose, the gather
// y[i] = g[labels[i]] (0 for no class), which is also the sum's backward pass. The sum runs a block per class over
// every position, accumulating in double: its order is fixed, so results are the same run to run, and no atomics
// are needed. Classes are a few dozen, so reading the labels once per class costs little.
#include "prelude.cuh"

template <typename T>
NMTL_DEV void class_sum(i64 n, int classes, const T* values, const int* labels, T* sums)
{
    for (int c = blockIdx.x; c < classes; c += gridDim.x)
    {
        double acc = 0.0;
        for (i64 i = threadIdx.x; i < n; i += blockDim.x)
            if (labels[i] == c) acc += (double)values[i];
        acc = block_sum(acc);
        if (threadIdx.x == 0) sums[c] = (T)acc;
    }
}

template <typename T>
NMTL_DEV void class_gather(i64 n, int classes, const T* g, const int* labels, T* y)
{
    NMTL_GRID_STRIDE(i, n)
    {
        int c = labels[i];
        y[i] = c >= 0 && c < classes ? g[c] : (T)0;
    }
}

#define NMTL_CLASS_SUM(suffix, T)                                                                                    \
    NMTL_KERNEL class_sum_##suffix(i64 n, int classes, const T* values, const int* labels, T* sums)                 \
    {                                                                                                                \
        class_sum<T>(n, classes, values, labels, sums);                                                              \
    }                                                                                                                \
    NMTL_EXPORT(class_sum_##suffix)                                                                                  \
    NMTL_KERNEL class_gather_##suffix(i64 n, int classes, const T* g, const int* labels, T* y)                      \
    {                                                                                                                \
        class_gather<T>(n, classes, g, labels, y);                                                                   \
    }                                                                                                                \
    NMTL_EXPORT(class_gather_##suffix)

NMTL_CLASS_SUM(f32, float)
NMTL_CLASS_SUM(f64, double)
