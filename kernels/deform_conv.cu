// Deformable convolution v1 (Dai et al. 2017) as torchvision.ops.deform_conv2d computes it, with one offset group:
// tap k = i·kernel_w + j of output position (oh, ow) samples its input plane at
//   (oh·stride_h − pad_h + i·dilation_h + Δy, ow·stride_w − pad_w + j·dilation_w + Δx),
// Δy and Δx read from offset channels 2k and 2k + 1, by bilinear interpolation in which a corner outside the image
// counts as 0. These kernels build and differentiate the columns [N, C·K, L] (K taps, L = out_h·out_w positions:
// row c·K + k, column oh·out_w + ow); the convolution itself is a GEMM of the weights [O, C·K] with each sample's
// columns, done by the engine's GEMM. The arithmetic is the CPU backend's (src/Kernels/Cpu/DeformConv2d.cs), in
// the same order.
//   deform_im2col                 a thread per column element: the sample
//   deform_im2col_backward_data   the same threads, each scattering its column gradient into its four corners with
//                                 atomic adds (into a zeroed gx), so Float32 matches the CPU to rounding only
//   deform_im2col_backward_offset a thread per (sample, tap, position): the column gradient dotted, channel by
//                                 channel in order, with the sample's derivatives along y and x; no atomics
//   deform_im2col_jvp_offset      a thread per column element: the offsets' tangent along those derivatives
#include "prelude.cuh"

// Same layout as the C# DeformWindow: the kernel's size and where its taps sit before the offsets move them.
struct DeformWindow
{
    int kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w, dilation_h, dilation_w;
};

// Sizes shared by every kernel of the family.
struct DeformSizes
{
    int channels, height, width, out_w, taps;
    i64 positions;
};

// Where one tap samples: the top-left corner (y0, x0) of its four neighbours and the fractions (ly, lx) past it.
// Outside (−1, height) × (−1, width), or at a NaN offset, the sample and its derivatives are 0 (inside is false).
template <typename T>
struct Bilinear
{
    int y0, x0;
    T ly, lx;
    bool inside;
};

// The sampling point of tap k at position l, for one sample's offsets [2K, L].
template <typename T>
NMTL_DEV Bilinear<T> sample_point(const DeformWindow& w, const DeformSizes& s, const T* offset, int k, i64 l)
{
    int oh = (int)(l / s.out_w), ow = (int)(l - (i64)oh * s.out_w);
    int i = k / w.kernel_w, j = k - i * w.kernel_w;
    T y = (T)(oh * w.stride_h - w.pad_h + i * w.dilation_h) + offset[2 * k * s.positions + l];
    T x = (T)(ow * w.stride_w - w.pad_w + j * w.dilation_w) + offset[(2 * k + 1) * s.positions + l];
    Bilinear<T> b;
    b.inside = y > (T)-1 && y < (T)s.height && x > (T)-1 && x < (T)s.width;
    T fy = b.inside ? floor_of(y) : (T)0, fx = b.inside ? floor_of(x) : (T)0;
    b.y0 = (int)fy;
    b.x0 = (int)fx;
    b.ly = b.inside ? y - fy : (T)0;
    b.lx = b.inside ? x - fx : (T)0;
    return b;
}

// Plane index of corner (dy, dx) ∈ {0, 1}², or −1 where it lies outside the image.
template <typename T>
NMTL_DEV i64 corner_index(const Bilinear<T>& b, const DeformSizes& s, int dy, int dx)
{
    int y = b.y0 + dy, x = b.x0 + dx;
    return b.inside && y >= 0 && y < s.height && x >= 0 && x < s.width ? (i64)y * s.width + x : -1;
}

template <typename T>
NMTL_DEV T corner_value(const Bilinear<T>& b, const DeformSizes& s, const T* plane, int dy, int dx)
{
    i64 index = corner_index(b, s, dy, dx);
    return index >= 0 ? plane[index] : (T)0;
}

// Weight of corner (dy, dx) in the sample.
template <typename T>
NMTL_DEV T corner_weight(const Bilinear<T>& b, int dy, int dx)
{
    return (dy ? b.ly : (T)1 - b.ly) * (dx ? b.lx : (T)1 - b.lx);
}

template <typename T>
NMTL_DEV T bilinear_value(const Bilinear<T>& b, const DeformSizes& s, const T* plane)
{
    return corner_weight(b, 0, 0) * corner_value(b, s, plane, 0, 0) + corner_weight(b, 0, 1) * corner_value(b, s, plane, 0, 1)
        + corner_weight(b, 1, 0) * corner_value(b, s, plane, 1, 0) + corner_weight(b, 1, 1) * corner_value(b, s, plane, 1, 1);
}

// The sample's derivatives along y (dy) and x (dx), torchvision's coordinate weights.
template <typename T>
NMTL_DEV void bilinear_slopes(const Bilinear<T>& b, const DeformSizes& s, const T* plane, T& dy, T& dx)
{
    T v00 = corner_value(b, s, plane, 0, 0), v01 = corner_value(b, s, plane, 0, 1);
    T v10 = corner_value(b, s, plane, 1, 0), v11 = corner_value(b, s, plane, 1, 1);
    dy = b.lx * (v11 - v01) + ((T)1 - b.lx) * (v10 - v00);
    dx = b.ly * (v11 - v10) + ((T)1 - b.ly) * (v01 - v00);
}

// Column element e = ((n·C + c)·K + k)·L + l: its input plane n·C + c, sample n, tap k and position l.
struct ColumnIndex
{
    i64 plane, sample, position;
    int tap;
};

NMTL_DEV ColumnIndex column_index(const DeformSizes& s, i64 e)
{
    ColumnIndex c;
    c.position = e % s.positions;
    i64 row = e / s.positions;
    c.tap = (int)(row % s.taps);
    c.plane = row / s.taps;
    c.sample = c.plane / s.channels;
    return c;
}

template <typename T>
NMTL_DEV void deform_im2col(i64 total, DeformSizes s, DeformWindow w, const T* x, const T* offset, T* columns)
{
    NMTL_GRID_STRIDE(e, total)
    {
        ColumnIndex c = column_index(s, e);
        Bilinear<T> b = sample_point(w, s, offset + c.sample * 2 * s.taps * s.positions, c.tap, c.position);
        columns[e] = bilinear_value(b, s, x + c.plane * s.height * s.width);
    }
}

template <typename T>
NMTL_DEV void deform_im2col_backward_data(i64 total, DeformSizes s, DeformWindow w, const T* g_columns, const T* offset, T* gx)
{
    NMTL_GRID_STRIDE(e, total)
    {
        ColumnIndex c = column_index(s, e);
        Bilinear<T> b = sample_point(w, s, offset + c.sample * 2 * s.taps * s.positions, c.tap, c.position);
        T* plane = gx + c.plane * s.height * s.width;
        for (int dy = 0; dy < 2; ++dy)
            for (int dx = 0; dx < 2; ++dx)
            {
                i64 index = corner_index(b, s, dy, dx);
                if (index >= 0) atomic_add(plane + index, corner_weight(b, dy, dx) * g_columns[e]);
            }
    }
}

template <typename T>
NMTL_DEV void deform_im2col_backward_offset(i64 total, DeformSizes s, DeformWindow w, const T* g_columns, const T* x,
                                            const T* offset, T* g_offset)
{
    NMTL_GRID_STRIDE(e, total)
    {
        i64 l = e % s.positions, row = e / s.positions, n = row / s.taps;
        int k = (int)(row - n * s.taps);
        Bilinear<T> b = sample_point(w, s, offset + n * 2 * s.taps * s.positions, k, l);
        T sum_y = 0, sum_x = 0;
        for (int c = 0; c < s.channels; ++c)
        {
            T dy, dx;
            bilinear_slopes(b, s, x + (n * s.channels + c) * s.height * s.width, dy, dx);
            T g = g_columns[((n * s.channels + c) * s.taps + k) * s.positions + l];
            sum_y += dy * g;
            sum_x += dx * g;
        }
        g_offset[(n * 2 * s.taps + 2 * k) * s.positions + l] = sum_y;
        g_offset[(n * 2 * s.taps + 2 * k + 1) * s.positions + l] = sum_x;
    }
}

template <typename T>
NMTL_DEV void deform_im2col_jvp_offset(i64 total, DeformSizes s, DeformWindow w, const T* x, const T* offset,
                                       const T* t_offset, T* t_columns)
{
    NMTL_GRID_STRIDE(e, total)
    {
        ColumnIndex c = column_index(s, e);
        i64 first = c.sample * 2 * s.taps * s.positions;
        Bilinear<T> b = sample_point(w, s, offset + first, c.tap, c.position);
        T dy, dx;
        bilinear_slopes(b, s, x + c.plane * s.height * s.width, dy, dx);
        const T* t = t_offset + first + 2 * c.tap * s.positions + c.position;
        t_columns[e] = dy * t[0] + dx * t[s.positions];
    }
}

#define NMTL_DEFORM(suffix, T)                                                                                       \
    NMTL_KERNEL deform_im2col_##suffix(i64 total, DeformSizes s, DeformWindow w, const T* x, const T* offset,       \
                                       T* columns)                                                                   \
    {                                                                                                                \
        deform_im2col<T>(total, s, w, x, offset, columns);                                                           \
    }                                                                                                                \
    NMTL_EXPORT(deform_im2col_##suffix)                                                                              \
    NMTL_KERNEL deform_im2col_backward_data_##suffix(i64 total, DeformSizes s, DeformWindow w, const T* g_columns,  \
                                                     const T* offset, T* gx)                                         \
    {                                                                                                                \
        deform_im2col_backward_data<T>(total, s, w, g_columns, offset, gx);                                          \
    }                                                                                                                \
    NMTL_EXPORT(deform_im2col_backward_data_##suffix)                                                                \
    NMTL_KERNEL deform_im2col_backward_offset_##suffix(i64 total, DeformSizes s, DeformWindow w, const T* g_columns,\
                                                       const T* x, const T* offset, T* g_offset)                     \
    {                                                                                                                \
        deform_im2col_backward_offset<T>(total, s, w, g_columns, x, offset, g_offset);                               \
    }                                                                                                                \
    NMTL_EXPORT(deform_im2col_backward_offset_##suffix)                                                              \
    NMTL_KERNEL deform_im2col_jvp_offset_##suffix(i64 total, DeformSizes s, DeformWindow w, const T* x,             \
                                                  const T* offset, const T* t_offset, T* t_columns)                  \
    {                                                                                                                \
        deform_im2col_jvp_offset<T>(total, s, w, x, offset, t_offset, t_columns);                                    \
    }                                                                                                                \
    NMTL_EXPORT(deform_im2col_jvp_offset_##suffix)

NMTL_DEFORM(f32, float)
NMTL_DEFORM(f64, double)
