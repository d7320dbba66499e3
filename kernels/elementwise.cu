// Elementwise ops over strided operands already broadcast to the output's shape. The op arrives as the value
// of the C# enum (UnaryOp, ScalarOp, BinaryOp), so one kernel per dtype serves a whole family.
#include "prelude.cuh"

enum { UnaryNeg, UnaryExp, UnaryLog, UnarySqrt, UnaryAbs, UnaryRelu, UnarySigmoid, UnaryTanh, UnarySign, UnarySquare, UnaryReciprocal };
enum { ScalarMulAdd, ScalarPow, ScalarClamp, ScalarInRange };
enum { BinaryAdd, BinarySub, BinaryMul, BinaryDiv, BinaryPow, BinaryEqual, BinaryGreater, BinaryReluGrad, BinarySigmoidGrad, BinaryTanhGrad };

// Maximum and minimum that propagate NaN, as the CPU's TensorPrimitives.Max/Min do.
template <typename T> NMTL_DEV T max_of(T a, T b) { return is_nan(a) || is_nan(b) ? a + b : (a > b ? a : b); }
template <typename T> NMTL_DEV T min_of(T a, T b) { return is_nan(a) || is_nan(b) ? a + b : (a < b ? a : b); }

template <typename T>
NMTL_DEV T unary_value(int op, T x)
{
    switch (op)
    {
    case UnaryNeg: return -x;
    case UnaryExp: return exp_of(x);
    case UnaryLog: return log_of(x);
    case UnarySqrt: return sqrt_rn(x);
    case UnaryAbs: return x < 0 ? -x : (x == 0 ? (T)0 : x);
    case UnaryRelu: return max_of(x, (T)0);
    case UnarySigmoid: return (T)1 / ((T)1 + exp_of(-x));
    case UnaryTanh: return tanh_of(x);
    case UnarySign: return is_nan(x) ? x : (T)(x > 0 ? 1 : x < 0 ? -1 : 0);
    case UnarySquare: return x * x;
    case UnaryReciprocal: return (T)1 / x;
    default: return x;
    }
}

template <typename T>
NMTL_DEV T scalar_value(int op, T x, T a, T b)
{
    switch (op)
    {
    case ScalarMulAdd: return x * a + b;
    case ScalarPow: return pow_of(x, a);
    case ScalarClamp: return min_of(max_of(x, a), b);
    case ScalarInRange: return x >= a && x <= b ? (T)1 : (T)0;
    default: return x;
    }
}

template <typename T>
NMTL_DEV T binary_value(int op, T a, T b)
{
    switch (op)
    {
    case BinaryAdd: return a + b;
    case BinarySub: return a - b;
    case BinaryMul: return a * b;
    case BinaryDiv: return a / b;
    case BinaryPow: return pow_of(a, b);
    case BinaryEqual: return a == b ? (T)1 : (T)0;
    case BinaryGreater: return a > b ? (T)1 : (T)0;
    case BinaryReluGrad: return b > 0 ? a : (T)0;
    case BinarySigmoidGrad: return a * b * ((T)1 - b);
    case BinaryTanhGrad: return a * ((T)1 - b * b);
    default: return a;
    }
}

#define NMTL_ELEMENTWISE(suffix, T)                                                                                  \
    NMTL_KERNEL unary_##suffix(int op, i64 n, const T* x, TensorDesc xd, T* y, TensorDesc yd)                      \
    {                                                                                                                \
        NMTL_GRID_STRIDE(i, n) y[offset_of(yd, i)] = unary_value<T>(op, x[offset_of(xd, i)]);                        \
    }                                                                                                                \
    NMTL_EXPORT(unary_##suffix)                                                                                      \
    NMTL_KERNEL scalar_##suffix(int op, T a, T b, i64 n, const T* x, TensorDesc xd, T* y, TensorDesc yd)           \
    {                                                                                                                \
        NMTL_GRID_STRIDE(i, n) y[offset_of(yd, i)] = scalar_value<T>(op, x[offset_of(xd, i)], a, b);                 \
    }                                                                                                                \
    NMTL_EXPORT(scalar_##suffix)                                                                                     \
    NMTL_KERNEL binary_##suffix(int op, i64 n, const T* a, TensorDesc ad, const T* b, TensorDesc bd, T* y,         \
                                TensorDesc yd)                                                                       \
    {                                                                                                                \
        NMTL_GRID_STRIDE(i, n) y[offset_of(yd, i)] = binary_value<T>(op, a[offset_of(ad, i)], b[offset_of(bd, i)]);  \
    }                                                                                                                \
    NMTL_EXPORT(binary_##suffix)

NMTL_ELEMENTWISE(f32, float)
NMTL_ELEMENTWISE(f64, double)

#define NMTL_WHERE(suffix, T, cond_suffix, C)                                                                        \
    NMTL_KERNEL where_##suffix##_by_##cond_suffix(i64 n, const C* c, TensorDesc cd, const T* a, TensorDesc ad,     \
                                                  const T* b, TensorDesc bd, T* y, TensorDesc yd)                    \
    {                                                                                                                \
        NMTL_GRID_STRIDE(i, n) y[offset_of(yd, i)] = c[offset_of(cd, i)] != 0 ? a[offset_of(ad, i)] : b[offset_of(bd, i)]; \
    }                                                                                                                \
    NMTL_EXPORT(where_##suffix##_by_##cond_suffix)

NMTL_WHERE(f32, float, f32, float)
NMTL_WHERE(f32, float, f64, double)
NMTL_WHERE(f32, float, i32, int)
NMTL_WHERE(f64, double, f32, float)
NMTL_WHERE(f64, double, f64, double)
NMTL_WHERE(f64, double, i32, int)
