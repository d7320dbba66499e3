// Reductions. The host splits x's axes into kept ones (one output each) and reduced ones (the block that
// output sums over), and describes both with descriptors of x's strides. Sums accumulate in double for
// both dtypes, like the CPU backend. Two schedules: a block per output for long blocks, and a thread per
// output when the blocks are short and the outputs many.
#include "prelude.cuh"

enum { ReduceSum, ReduceMean, ReduceMax, ReduceL2Norm };

template <typename T>
NMTL_DEV double reduce_term(int op, T v) { return op == ReduceL2Norm ? (double)v * (double)v : (double)v; }

template <typename T>
NMTL_DEV T reduce_result(int op, double acc, i64 count)
{
    if (op == ReduceMean) return (T)(acc / (double)count);
    if (op == ReduceL2Norm) return (T)sqrt_rn(acc);
    return (T)acc;
}

template <typename T>
NMTL_DEV void reduce_by_block(int op, i64 outputs, i64 count, const T* x, const TensorDesc& kept,
                              const TensorDesc& reduced, T* y, const TensorDesc& keptY)
{
    bool max = op == ReduceMax;
    for (i64 o = blockIdx.x; o < outputs; o += gridDim.x)
    {
        const T* block = x + offset_of(kept, o);
        double acc = max ? -__builtin_inf() : 0.0;
        for (i64 j = threadIdx.x; j < count; j += blockDim.x)
        {
            T v = block[offset_of(reduced, j)];
            acc = max ? max_nan(acc, (double)v) : acc + reduce_term(op, v);
        }
        acc = max ? block_max(acc) : block_sum(acc);
        if (threadIdx.x == 0) y[offset_of(keptY, o)] = reduce_result<T>(op, acc, count);
    }
}

template <typename T>
NMTL_DEV void reduce_by_thread(int op, i64 outputs, i64 count, const T* x, const TensorDesc& kept,
                               const TensorDesc& reduced, T* y, const TensorDesc& keptY)
{
    bool max = op == ReduceMax;
    NMTL_GRID_STRIDE(o, outputs)
    {
        const T* block = x + offset_of(kept, o);
        double acc = max ? -__builtin_inf() : 0.0;
        for (i64 j = 0; j < count; ++j)
        {
            T v = block[offset_of(reduced, j)];
            acc = max ? max_nan(acc, (double)v) : acc + reduce_term(op, v);
        }
        y[offset_of(keptY, o)] = reduce_result<T>(op, acc, count);
    }
}

// Index of the first maximum along one axis; a NaN counts as the maximum, the first one wins.
template <typename T>
NMTL_DEV void argmax_by_thread(i64 outputs, int size, i64 axis_stride, const T* x, const TensorDesc& kept, int* y,
                               const TensorDesc& keptY)
{
    NMTL_GRID_STRIDE(o, outputs)
    {
        const T* p = x + offset_of(kept, o);
        int best = 0;
        for (int i = 1; i < size && !is_nan(p[(i64)best * axis_stride]); ++i)
        {
            T v = p[(i64)i * axis_stride];
            if (v > p[(i64)best * axis_stride] || is_nan(v)) best = i;
        }
        y[offset_of(keptY, o)] = best;
    }
}

#define NMTL_REDUCE(suffix, T)                                                                                      \
    NMTL_KERNEL reduce_block_##suffix(int op, i64 outputs, i64 count, const T* x, TensorDesc kept,                \
                                      TensorDesc reduced, T* y, TensorDesc keptY)                                   \
    {                                                                                                               \
        reduce_by_block<T>(op, outputs, count, x, kept, reduced, y, keptY);                                         \
    }                                                                                                               \
    NMTL_EXPORT(reduce_block_##suffix)                                                                              \
    NMTL_KERNEL reduce_thread_##suffix(int op, i64 outputs, i64 count, const T* x, TensorDesc kept,               \
                                       TensorDesc reduced, T* y, TensorDesc keptY)                                  \
    {                                                                                                               \
        reduce_by_thread<T>(op, outputs, count, x, kept, reduced, y, keptY);                                        \
    }                                                                                                               \
    NMTL_EXPORT(reduce_thread_##suffix)                                                                             \
    NMTL_KERNEL argmax_##suffix(i64 outputs, int size, i64 axis_stride, const T* x, TensorDesc kept, int* y,       \
                                TensorDesc keptY)                                                                   \
    {                                                                                                               \
        argmax_by_thread<T>(outputs, size, axis_stride, x, kept, y, keptY);                                         \
    }                                                                                                               \
    NMTL_EXPORT(argmax_##suffix)

NMTL_REDUCE(f32, float)
NMTL_REDUCE(f64, double)
