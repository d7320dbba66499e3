// Softmax and log-softmax of a contiguous tensor seen as [outer, size, inner] around the axis. When the axis
// is innermost (inner = 1) a block takes a row and reduces it cooperatively; otherwise a thread takes a
// column, and neighbouring threads read neighbouring columns, so every pass over the axis is coalesced.
#include "prelude.cuh"

template <typename T>
NMTL_DEV void softmax_rows(i64 rows, int size, int log, const T* x, T* y)
{
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x)
    {
        const T* xr = x + r * size;
        T* yr = y + r * size;
        double max = -__builtin_inf();
        for (int j = threadIdx.x; j < size; j += blockDim.x) max = max_nan(max, (double)xr[j]);
        T m = (T)block_max(max);
        double sum = 0;
        for (int j = threadIdx.x; j < size; j += blockDim.x) sum += (double)exp_of((T)(xr[j] - m));
        T total = (T)block_sum(sum);
        T shift = log ? log_of(total) : (T)0, scale = (T)1 / total;
        for (int j = threadIdx.x; j < size; j += blockDim.x)
        {
            T d = xr[j] - m;
            yr[j] = log ? d - shift : exp_of(d) * scale;
        }
    }
}

template <typename T>
NMTL_DEV void softmax_columns(i64 outer, int size, i64 inner, int log, const T* x, T* y)
{
    NMTL_GRID_STRIDE(column, outer * inner)
    {
        i64 o = column / inner;
        const T* xc = x + o * size * inner + (column - o * inner);
        T* yc = y + (xc - x);
        T m = xc[0];
        for (int j = 1; j < size; ++j) m = (T)max_nan((double)m, (double)xc[j * inner]);
        double sum = 0;
        for (int j = 0; j < size; ++j) sum += (double)exp_of((T)(xc[j * inner] - m));
        T total = (T)sum;
        T shift = log ? log_of(total) : (T)0, scale = (T)1 / total;
        for (int j = 0; j < size; ++j)
        {
            T d = xc[j * inner] - m;
            yc[j * inner] = log ? d - shift : exp_of(d) * scale;
        }
    }
}

// softmax: gx = y·(gy − Σ gy·y); log-softmax: gx = gy − exp(y)·Σ gy.
template <typename T>
NMTL_DEV void softmax_backward_rows(i64 rows, int size, int log, const T* y, const T* gy, T* gx)
{
    for (i64 r = blockIdx.x; r < rows; r += gridDim.x)
    {
        const T *yr = y + r * size, *gyr = gy + r * size;
        T* gxr = gx + r * size;
        double acc = 0;
        for (int j = threadIdx.x; j < size; j += blockDim.x) acc += log ? (double)gyr[j] : (double)gyr[j] * (double)yr[j];
        T s = (T)block_sum(acc);
        for (int j = threadIdx.x; j < size; j += blockDim.x) gxr[j] = log ? gyr[j] - exp_of(yr[j]) * s : yr[j] * (gyr[j] - s);
    }
}

template <typename T>
NMTL_DEV void softmax_backward_columns(i64 outer, int size, i64 inner, int log, const T* y, const T* gy, T* gx)
{
    NMTL_GRID_STRIDE(column, outer * inner)
    {
        i64 o = column / inner, base = o * size * inner + (column - o * inner);
        double acc = 0;
        for (int j = 0; j < size; ++j)
        {
            i64 k = base + j * inner;
            acc += log ? (double)gy[k] : (double)gy[k] * (double)y[k];
        }
        T s = (T)acc;
        for (int j = 0; j < size; ++j)
        {
            i64 k = base + j * inner;
            gx[k] = log ? gy[k] - exp_of(y[k]) * s : y[k] * (gy[k] - s);
        }
    }
}

#define NMTL_SOFTMAX(suffix, T)                                                                                   \
    NMTL_KERNEL softmax_rows_##suffix(i64 rows, int size, int log, const T* x, T* y)                             \
    {                                                                                                             \
        softmax_rows<T>(rows, size, log, x, y);                                                                   \
    }                                                                                                             \
    NMTL_EXPORT(softmax_rows_##suffix)                                                                            \
    NMTL_KERNEL softmax_columns_##suffix(i64 outer, int size, i64 inner, int log, const T* x, T* y)              \
    {                                                                                                             \
        softmax_columns<T>(outer, size, inner, log, x, y);                                                        \
    }                                                                                                             \
    NMTL_EXPORT(softmax_columns_##suffix)                                                                         \
    NMTL_KERNEL softmax_backward_rows_##suffix(i64 rows, int size, int log, const T* y, const T* gy, T* gx)      \
    {                                                                                                             \
        softmax_backward_rows<T>(rows, size, log, y, gy, gx);                                                     \
    }                                                                                                             \
    NMTL_EXPORT(softmax_backward_rows_##suffix)                                                                   \
    NMTL_KERNEL softmax_backward_columns_##suffix(i64 outer, int size, i64 inner, int log, const T* y,           \
                                                  const T* gy, T* gx)                                             \
    {                                                                                                             \
        softmax_backward_columns<T>(outer, size, inner, log, y, gy, gx);                                          \
    }                                                                                                             \
    NMTL_EXPORT(softmax_backward_columns_##suffix)

NMTL_SOFTMAX(f32, float)
NMTL_SOFTMAX(f64, double)
