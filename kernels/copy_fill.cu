// Copy with dtype conversion between strided tensors, fill of a strided tensor, arange of a dense one.
#include "prelude.cuh"

template <typename From, typename To>
NMTL_DEV void copy_strided(i64 n, const From* x, const TensorDesc& xd, To* y, const TensorDesc& yd)
{
    NMTL_GRID_STRIDE(i, n) y[offset_of(yd, i)] = Convert<To>::from(x[offset_of(xd, i)]);
}

#define NMTL_COPY(from_name, From, to_name, To)                                                                  \
    NMTL_KERNEL copy_##from_name##_to_##to_name(i64 n, const From* x, TensorDesc xd, To* y, TensorDesc yd)     \
    {                                                                                                            \
        copy_strided<From, To>(n, x, xd, y, yd);                                                                 \
    }                                                                                                            \
    NMTL_EXPORT(copy_##from_name##_to_##to_name)

NMTL_COPY(f32, float, f32, float)
NMTL_COPY(f32, float, f64, double)
NMTL_COPY(f32, float, i32, int)
NMTL_COPY(f64, double, f32, float)
NMTL_COPY(f64, double, f64, double)
NMTL_COPY(f64, double, i32, int)
NMTL_COPY(i32, int, f32, float)
NMTL_COPY(i32, int, f64, double)
NMTL_COPY(i32, int, i32, int)

template <typename T>
NMTL_DEV void fill_strided(i64 n, T* y, const TensorDesc& yd, T value)
{
    NMTL_GRID_STRIDE(i, n) y[offset_of(yd, i)] = value;
}

NMTL_KERNEL fill_f32(i64 n, float* y, TensorDesc yd, float value) { fill_strided(n, y, yd, value); }
NMTL_EXPORT(fill_f32)
NMTL_KERNEL fill_f64(i64 n, double* y, TensorDesc yd, double value) { fill_strided(n, y, yd, value); }
NMTL_EXPORT(fill_f64)
NMTL_KERNEL fill_i32(i64 n, int* y, TensorDesc yd, int value) { fill_strided(n, y, yd, value); }
NMTL_EXPORT(fill_i32)

// y[i] = start + i·step in double, then converted (truncated for Int32) as the CPU does.
template <typename T>
NMTL_DEV void arange_dense(i64 n, T* y, double start, double step)
{
    NMTL_GRID_STRIDE(i, n) y[i] = Convert<T>::from(add_rn(start, mul_rn((double)i, step)));
}

NMTL_KERNEL arange_f32(i64 n, float* y, double start, double step) { arange_dense(n, y, start, step); }
NMTL_EXPORT(arange_f32)
NMTL_KERNEL arange_f64(i64 n, double* y, double start, double step) { arange_dense(n, y, start, step); }
NMTL_EXPORT(arange_f64)
NMTL_KERNEL arange_i32(i64 n, int* y, double start, double step) { arange_dense(n, y, start, step); }
NMTL_EXPORT(arange_i32)
