// Bilinear resize of contiguous NCHW planes, PyTorch's align_corners=false. Source coordinates are computed
// in T with the CPU backend's formula. The backward pass scatters each output gradient into its four input
// taps with atomic adds (into a zeroed gx), as PyTorch's CUDA kernel does; the order of those adds varies,
// so Float32 gradients match the CPU to rounding, not bit for bit.
#include "prelude.cuh"

template <typename T>
struct Tap
{
    int i0, i1;
    T w0, w1;
};

template <typename T>
NMTL_DEV Tap<T> linear_tap(int d, int input, int output)
{
    T scale = (T)input / (T)output;
    T source = add_rn(mul_rn(scale, add_rn((T)d, (T)0.5)), (T)-0.5);
    if (!(source > (T)0)) source = (T)0;
    int i0 = (int)floor_of(source);
    T lambda = add_rn(source, -(T)i0);
    Tap<T> tap;
    tap.i0 = i0;
    tap.i1 = i0 + 1 < input ? i0 + 1 : input - 1;
    tap.w0 = (T)1 - lambda;
    tap.w1 = lambda;
    return tap;
}

template <typename T>
NMTL_DEV void upsample_forward(i64 total, int in_h, int in_w, int out_h, int out_w, const T* x, T* y)
{
    NMTL_GRID_STRIDE(k, total)
    {
        i64 plane = k / ((i64)out_h * out_w);
        int rest = (int)(k - plane * out_h * out_w);
        int oh = rest / out_w, ow = rest - oh * out_w;
        Tap<T> r = linear_tap<T>(oh, in_h, out_h), c = linear_tap<T>(ow, in_w, out_w);
        const T* xp = x + plane * in_h * in_w;
        // Rows first, then columns: the CPU blends two rows, then two elements of the blend.
        T left = r.w0 * xp[r.i0 * in_w + c.i0] + r.w1 * xp[r.i1 * in_w + c.i0];
        T right = r.w0 * xp[r.i0 * in_w + c.i1] + r.w1 * xp[r.i1 * in_w + c.i1];
        y[k] = c.w0 * left + c.w1 * right;
    }
}

template <typename T>
NMTL_DEV void upsample_backward(i64 total, int in_h, int in_w, int out_h, int out_w, const T* gy, T* gx)
{
    NMTL_GRID_STRIDE(k, total)
    {
        i64 plane = k / ((i64)out_h * out_w);
        int rest = (int)(k - plane * out_h * out_w);
        int oh = rest / out_w, ow = rest - oh * out_w;
        Tap<T> r = linear_tap<T>(oh, in_h, out_h), c = linear_tap<T>(ow, in_w, out_w);
        T* gp = gx + plane * in_h * in_w;
        T g = gy[k];
        atomic_add(gp + r.i0 * in_w + c.i0, r.w0 * c.w0 * g);
        atomic_add(gp + r.i0 * in_w + c.i1, r.w0 * c.w1 * g);
        atomic_add(gp + r.i1 * in_w + c.i0, r.w1 * c.w0 * g);
        atomic_add(gp + r.i1 * in_w + c.i1, r.w1 * c.w1 * g);
    }
}

#define NMTL_UPSAMPLE(suffix, T)                                                                                     \
    NMTL_KERNEL upsample_bilinear_forward_##suffix(i64 total, int in_h, int in_w, int out_h, int out_w, const T* x, \
                                                   T* y)                                                             \
    {                                                                                                                \
        upsample_forward<T>(total, in_h, in_w, out_h, out_w, x, y);                                                  \
    }                                                                                                                \
    NMTL_EXPORT(upsample_bilinear_forward_##suffix)                                                                  \
    NMTL_KERNEL upsample_bilinear_backward_##suffix(i64 total, int in_h, int in_w, int out_h, int out_w,           \
                                                    const T* gy, T* gx)                                              \
    {                                                                                                                \
        upsample_backward<T>(total, in_h, in_w, out_h, out_w, gy, gx);                                               \
    }                                                                                                                \
    NMTL_EXPORT(upsample_bilinear_backward_##suffix)

NMTL_UPSAMPLE(f32, float)
NMTL_UPSAMPLE(f64, double)
