// Max and average pooling over contiguous NCHW planes with PyTorch's semantics (ceil_mode false), as custom
// kernels rather than cuDNN: cuDNN's max-pool backward breaks ties and treats NaN differently from PyTorch
// and the CPU backend. Forward: a thread per output. Backward: a thread per input element gathers from every
// window that covers it, so no atomics are needed and the result does not depend on scheduling. Max pooling's
// forward-mode rule is the forward kernel reading a second tensor (the tangent) at x's maximum.
#include "prelude.cuh"

// Same layout as the C# PoolWindow: kernel, stride and padding per axis, and the divisor rule.
struct PoolWindow
{
    int kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, count_include_pad;
};

// In-bounds input range [start, end) of output position o's window along one axis.
NMTL_DEV void window_range(int o, int stride, int pad, int kernel, int size, int& start, int& end)
{
    int s = o * stride - pad;
    start = s > 0 ? s : 0;
    end = s + kernel < size ? s + kernel : size;
}

// Output positions whose windows cover input position i along one axis: [first, last].
NMTL_DEV void covering_outputs(int i, int stride, int pad, int kernel, int out, int& first, int& last)
{
    int numerator = i + pad - kernel + 1;
    first = numerator <= 0 ? 0 : (numerator + stride - 1) / stride;
    last = (i + pad) / stride;
    if (last > out - 1) last = out - 1;
}

// Plane index of the window's first maximum; padding is −∞ and a NaN beats any number.
template <typename T>
NMTL_DEV int window_argmax(const T* plane, int width, int h0, int h1, int w0, int w1)
{
    int best = h0 * width + w0;
    T max = (T)-__builtin_inf();
    for (int h = h0; h < h1; ++h)
        for (int w = w0; w < w1; ++w)
        {
            T v = plane[h * width + w];
            if (v > max || is_nan(v))
            {
                max = v;
                best = h * width + w;
            }
        }
    return best;
}

template <typename T>
NMTL_DEV T avg_divisor(const PoolWindow& p, int h0, int h1, int w0, int w1)
{
    return (T)(p.count_include_pad ? p.kernel_h * p.kernel_w : (h1 - h0) * (w1 - w0));
}

// y = each window's value of v at x's maximum (max, v = x: the forward pass; v = x's tangent: its JVP), or x's mean.
template <typename T>
NMTL_DEV void pool_forward(bool max, i64 total, int in_h, int in_w, int out_h, int out_w, PoolWindow p, const T* x, const T* v, T* y)
{
    NMTL_GRID_STRIDE(k, total)
    {
        i64 plane = k / ((i64)out_h * out_w);
        int rest = (int)(k - plane * out_h * out_w);
        int oh = rest / out_w, ow = rest - oh * out_w, h0, h1, w0, w1;
        window_range(oh, p.stride_h, p.pad_h, p.kernel_h, in_h, h0, h1);
        window_range(ow, p.stride_w, p.pad_w, p.kernel_w, in_w, w0, w1);
        const T* xp = x + plane * in_h * in_w;
        if (max)
        {
            y[k] = v[plane * in_h * in_w + window_argmax(xp, in_w, h0, h1, w0, w1)];
            continue;
        }
        T sum = 0;
        for (int h = h0; h < h1; ++h)
            for (int w = w0; w < w1; ++w) sum += xp[h * in_w + w];
        y[k] = sum / avg_divisor<T>(p, h0, h1, w0, w1);
    }
}

template <typename T>
NMTL_DEV void pool_backward(bool max, i64 total, int in_h, int in_w, int out_h, int out_w, PoolWindow p, const T* x,
                            const T* gy, T* gx)
{
    NMTL_GRID_STRIDE(k, total)
    {
        i64 plane = k / ((i64)in_h * in_w);
        int position = (int)(k - plane * in_h * in_w);
        int ih = position / in_w, iw = position - ih * in_w;
        int p0, p1, q0, q1;
        covering_outputs(ih, p.stride_h, p.pad_h, p.kernel_h, out_h, p0, p1);
        covering_outputs(iw, p.stride_w, p.pad_w, p.kernel_w, out_w, q0, q1);
        const T* xp = max ? x + plane * in_h * in_w : x;
        const T* gyp = gy + plane * out_h * out_w;
        T acc = 0;
        for (int oh = p0; oh <= p1; ++oh)
            for (int ow = q0; ow <= q1; ++ow)
            {
                int h0, h1, w0, w1;
                window_range(oh, p.stride_h, p.pad_h, p.kernel_h, in_h, h0, h1);
                window_range(ow, p.stride_w, p.pad_w, p.kernel_w, in_w, w0, w1);
                if (max)
                {
                    if (window_argmax(xp, in_w, h0, h1, w0, w1) == position) acc += gyp[oh * out_w + ow];
                }
                else acc += gyp[oh * out_w + ow] / avg_divisor<T>(p, h0, h1, w0, w1);
            }
        gx[k] = acc;
    }
}

#define NMTL_POOL(suffix, T)                                                                                         \
    NMTL_KERNEL max_pool_forward_##suffix(i64 total, int in_h, int in_w, int out_h, int out_w, PoolWindow p,        \
                                          const T* x, T* y)                                                          \
    {                                                                                                                \
        pool_forward<T>(true, total, in_h, in_w, out_h, out_w, p, x, x, y);                                          \
    }                                                                                                                \
    NMTL_EXPORT(max_pool_forward_##suffix)                                                                           \
    NMTL_KERNEL max_pool_jvp_##suffix(i64 total, int in_h, int in_w, int out_h, int out_w, PoolWindow p,            \
                                      const T* x, const T* tx, T* ty)                                                \
    {                                                                                                                \
        pool_forward<T>(true, total, in_h, in_w, out_h, out_w, p, x, tx, ty);                                        \
    }                                                                                                                \
    NMTL_EXPORT(max_pool_jvp_##suffix)                                                                               \
    NMTL_KERNEL avg_pool_forward_##suffix(i64 total, int in_h, int in_w, int out_h, int out_w, PoolWindow p,        \
                                          const T* x, T* y)                                                          \
    {                                                                                                                \
        pool_forward<T>(false, total, in_h, in_w, out_h, out_w, p, x, x, y);                                         \
    }                                                                                                                \
    NMTL_EXPORT(avg_pool_forward_##suffix)                                                                           \
    NMTL_KERNEL max_pool_backward_##suffix(i64 total, int in_h, int in_w, int out_h, int out_w, PoolWindow p,       \
                                           const T* x, const T* gy, T* gx)                                           \
    {                                                                                                                \
        pool_backward<T>(true, total, in_h, in_w, out_h, out_w, p, x, gy, gx);                                       \
    }                                                                                                                \
    NMTL_EXPORT(max_pool_backward_##suffix)                                                                          \
    NMTL_KERNEL avg_pool_backward_##suffix(i64 total, int in_h, int in_w, int out_h, int out_w, PoolWindow p,       \
                                           const T* gy, T* gx)                                                       \
    {                                                                                                                \
        pool_backward<T>(false, total, in_h, in_w, out_h, out_w, p, gy, gy, gx);                                     \
    }                                                                                                                \
    NMTL_EXPORT(avg_pool_backward_##suffix)

NMTL_POOL(f32, float)
NMTL_POOL(f64, double)
