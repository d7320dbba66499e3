// Gradient geometry over a K×P matrix g of per-task gradients (K tasks, P parameters, row-major).
// gram: every inner product ⟨g_i, g_j⟩ for a chunk of up to GramPairs pairs (i ≤ j) in one pass over g: each
// thread keeps its columns' partial products in registers, each block reduces them and writes one partial per
// pair, and a finishing block adds the partials in block order (no atomics: the same bits on every run).
// combine: y = Σ_k c_k·g_k with the coefficients read from the device, one pass over g.
#include "prelude.cuh"

#define GramPairs 36

template <typename T>
NMTL_DEV void gram_partial(int k, i64 p, int first_pair, int pairs, const T* g, double* partial)
{
    int row_i[GramPairs], row_j[GramPairs];
    double acc[GramPairs];
    int index = 0;
    for (int i = 0; i < k; ++i)
        for (int j = i; j < k; ++j, ++index)
            if (index >= first_pair && index < first_pair + pairs)
            {
                row_i[index - first_pair] = i;
                row_j[index - first_pair] = j;
            }
    for (int q = 0; q < pairs; ++q) acc[q] = 0.0;
    NMTL_GRID_STRIDE(c, p)
    {
        for (int q = 0; q < pairs; ++q) acc[q] += (double)g[row_i[q] * p + c] * (double)g[row_j[q] * p + c];
    }
    for (int q = 0; q < pairs; ++q)
    {
        double total = block_sum(acc[q]);
        if (threadIdx.x == 0) partial[(i64)blockIdx.x * pairs + q] = total;
    }
}

template <typename T>
NMTL_DEV void gram_finish(int k, int first_pair, int pairs, int blocks, const double* partial, T* gram)
{
    for (int q = 0; q < pairs; ++q)
    {
        double acc = 0.0;
        for (int b = threadIdx.x; b < blocks; b += blockDim.x) acc += partial[(i64)b * pairs + q];
        acc = block_sum(acc);
        if (threadIdx.x != 0) continue;
        int index = first_pair + q, i = 0;
        while (index >= k - i)
        {
            index -= k - i;
            ++i;
        }
        int j = i + index;
        gram[i * k + j] = (T)acc;
        gram[j * k + i] = (T)acc;
    }
}

template <typename T>
NMTL_DEV void combine(int k, i64 p, const T* g, const T* coefficients, T* y)
{
    NMTL_GRID_STRIDE(c, p)
    {
        T acc = coefficients[0] * g[c];
        for (int i = 1; i < k; ++i) acc += coefficients[i] * g[i * p + c];
        y[c] = acc;
    }
}

#define NMTL_GRAD_GEOMETRY(suffix, T)                                                                                \
    NMTL_KERNEL gram_partial_##suffix(int k, i64 p, int first_pair, int pairs, const T* g, double* partial)          \
    {                                                                                                                \
        gram_partial<T>(k, p, first_pair, pairs, g, partial);                                                        \
    }                                                                                                                \
    NMTL_EXPORT(gram_partial_##suffix)                                                                               \
    NMTL_KERNEL gram_finish_##suffix(int k, int first_pair, int pairs, int blocks, const double* partial, T* gram)    \
    {                                                                                                                \
        gram_finish<T>(k, first_pair, pairs, blocks, partial, gram);                                                 \
    }                                                                                                                \
    NMTL_EXPORT(gram_finish_##suffix)                                                                                \
    NMTL_KERNEL combine_##suffix(int k, i64 p, const T* g, const T* coefficients, T* y)                             \
    {                                                                                                                \
        combine<T>(k, p, g, coefficients, y);                                                                        \
    }                                                                                                                \
    NMTL_EXPORT(combine_##suffix)

NMTL_GRAD_GEOMETRY(f32, float)
NMTL_GRAD_GEOMETRY(f64, double)
