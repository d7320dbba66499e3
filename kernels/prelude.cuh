// The one header every kernel family includes. It lets the same CUDA C compile three ways:
//   1. nvcc -ptx -arch=compute_80                       (__CUDACC__ defined; the SDK provides the builtins)
//   2. clang-16 -x cuda --cuda-device-only -nocudainc   (__clang__, __CUDA__, __NVPTX__; no SDK headers,
//      so everything below is spelled with the nvvm builtins, and no libm/libdevice call may remain)
//   3. g++ with NMTL_EMU defined                        (host emulation, see emu/emu.cpp)
// Math that libdevice would provide (exp, log, tanh, pow in double, cos for Box-Muller) is implemented
// here in plain arithmetic so that all three builds run the same code and the emulator tests it.
#pragma once

#if defined(NMTL_EMU)
#include <atomic>
#include <cstdint>
#include <cmath>
#include "emu/emu_runtime.h"
#define NMTL_GLOBAL
#define NMTL_DEV static inline
#define __shared__ static
#define threadIdx (nmtl_emu::thread_idx)
#define blockIdx (nmtl_emu::block_idx)
#define blockDim (nmtl_emu::block_dim)
#define gridDim (nmtl_emu::grid_dim)
#define NMTL_EXPORT(name) static nmtl_emu::Registrar nmtl_registrar_##name(#name, &name);
#elif defined(__CUDACC__)
#define NMTL_GLOBAL __global__
#define NMTL_DEV static __device__ __forceinline__
#define NMTL_EXPORT(name)
#elif defined(__clang__) && defined(__CUDA__) && defined(__NVPTX__)
#define __global__ __attribute__((global))
#define __device__ __attribute__((device))
#define __shared__ __attribute__((shared))
#define NMTL_GLOBAL __global__
#define NMTL_DEV static __device__ __inline__ __attribute__((always_inline))
#define NMTL_EXPORT(name)
struct nmtl_index3 { unsigned x, y, z; };
NMTL_DEV nmtl_index3 nmtl_thread_idx() { return { (unsigned)__nvvm_read_ptx_sreg_tid_x(), (unsigned)__nvvm_read_ptx_sreg_tid_y(), (unsigned)__nvvm_read_ptx_sreg_tid_z() }; }
NMTL_DEV nmtl_index3 nmtl_block_idx() { return { (unsigned)__nvvm_read_ptx_sreg_ctaid_x(), (unsigned)__nvvm_read_ptx_sreg_ctaid_y(), (unsigned)__nvvm_read_ptx_sreg_ctaid_z() }; }
NMTL_DEV nmtl_index3 nmtl_block_dim() { return { (unsigned)__nvvm_read_ptx_sreg_ntid_x(), (unsigned)__nvvm_read_ptx_sreg_ntid_y(), (unsigned)__nvvm_read_ptx_sreg_ntid_z() }; }
NMTL_DEV nmtl_index3 nmtl_grid_dim() { return { (unsigned)__nvvm_read_ptx_sreg_nctaid_x(), (unsigned)__nvvm_read_ptx_sreg_nctaid_y(), (unsigned)__nvvm_read_ptx_sreg_nctaid_z() }; }
#define threadIdx (nmtl_thread_idx())
#define blockIdx (nmtl_block_idx())
#define blockDim (nmtl_block_dim())
#define gridDim (nmtl_grid_dim())
#else
#error "prelude.cuh: compile with nvcc, clang -x cuda --cuda-device-only, or g++ -DNMTL_EMU"
#endif

#define NMTL_KERNEL extern "C" NMTL_GLOBAL void

typedef long long i64;
typedef unsigned long long u64;

// ---------------------------------------------------------------------------------------------
// Builtins with one spelling per compiler.

NMTL_DEV void sync_threads()
{
#if defined(NMTL_EMU)
    nmtl_emu::sync_threads();
#elif defined(__CUDACC__)
    __syncthreads();
#else
    __nvvm_barrier_sync(0);
#endif
}

NMTL_DEV float shfl_down(float v, int delta)
{
#if defined(NMTL_EMU)
    return __builtin_bit_cast(float, nmtl_emu::shfl_down_u32(__builtin_bit_cast(unsigned, v), delta));
#elif defined(__CUDACC__)
    return __shfl_down_sync(0xffffffffu, v, delta);
#else
    return __nvvm_shfl_sync_down_f32(0xffffffffu, v, delta, 0x1f);
#endif
}

NMTL_DEV int shfl_down(int v, int delta)
{
#if defined(NMTL_EMU)
    return (int)nmtl_emu::shfl_down_u32((unsigned)v, delta);
#elif defined(__CUDACC__)
    return __shfl_down_sync(0xffffffffu, v, delta);
#else
    return __nvvm_shfl_sync_down_i32(0xffffffffu, v, delta, 0x1f);
#endif
}

NMTL_DEV double shfl_down(double v, int delta)
{
    u64 bits = __builtin_bit_cast(u64, v);
    int lo = shfl_down((int)(unsigned)bits, delta);
    int hi = shfl_down((int)(unsigned)(bits >> 32), delta);
    return __builtin_bit_cast(double, ((u64)(unsigned)hi << 32) | (unsigned)lo);
}

NMTL_DEV void atomic_add(float* p, float v)
{
#if defined(NMTL_EMU)
    std::atomic_ref<float>(*p).fetch_add(v, std::memory_order_relaxed);
#elif defined(__CUDACC__)
    atomicAdd(p, v);
#else
    __nvvm_atom_add_gen_f(p, v);
#endif
}

NMTL_DEV void atomic_add(double* p, double v)
{
#if defined(NMTL_EMU)
    std::atomic_ref<double>(*p).fetch_add(v, std::memory_order_relaxed);
#elif defined(__CUDACC__)
    atomicAdd(p, v);
#else
    __nvvm_atom_add_gen_d(p, v);
#endif
}

NMTL_DEV void atomic_min(int* p, int v)
{
#if defined(NMTL_EMU)
    std::atomic_ref<int> a(*p);
    int seen = a.load(std::memory_order_relaxed);
    while (v < seen && !a.compare_exchange_weak(seen, v, std::memory_order_relaxed)) {}
#elif defined(__CUDACC__)
    atomicMin(p, v);
#else
    __nvvm_atom_min_gen_i(p, v);
#endif
}

NMTL_DEV unsigned mul_hi(unsigned a, unsigned b)
{
#if defined(NMTL_EMU)
    return (unsigned)(((u64)a * b) >> 32);
#elif defined(__CUDACC__)
    return __umulhi(a, b);
#else
    return __nvvm_mulhi_ui(a, b);
#endif
}

// Correctly rounded operations that the device compiler may not fuse into an FMA. The random streams use
// them so that their arithmetic rounds exactly as the CPU's (which never fuses) and the values agree bit for bit.
NMTL_DEV float mul_rn(float a, float b)
{
#if defined(NMTL_EMU)
    return a * b;
#elif defined(__CUDACC__)
    return __fmul_rn(a, b);
#else
    return __nvvm_mul_rn_f(a, b);
#endif
}

NMTL_DEV float add_rn(float a, float b)
{
#if defined(NMTL_EMU)
    return a + b;
#elif defined(__CUDACC__)
    return __fadd_rn(a, b);
#else
    return __nvvm_add_rn_f(a, b);
#endif
}

NMTL_DEV double mul_rn(double a, double b)
{
#if defined(NMTL_EMU)
    return a * b;
#elif defined(__CUDACC__)
    return __dmul_rn(a, b);
#else
    return __nvvm_mul_rn_d(a, b);
#endif
}

NMTL_DEV double add_rn(double a, double b)
{
#if defined(NMTL_EMU)
    return a + b;
#elif defined(__CUDACC__)
    return __dadd_rn(a, b);
#else
    return __nvvm_add_rn_d(a, b);
#endif
}

NMTL_DEV float sqrt_rn(float x)
{
#if defined(NMTL_EMU)
    return std::sqrt(x);
#elif defined(__CUDACC__)
    return __fsqrt_rn(x);
#else
    return __nvvm_sqrt_rn_f(x);
#endif
}

NMTL_DEV double sqrt_rn(double x)
{
#if defined(NMTL_EMU)
    return std::sqrt(x);
#elif defined(__CUDACC__)
    return __dsqrt_rn(x);
#else
    return __nvvm_sqrt_rn_d(x);
#endif
}

// Fast base-2 exponential and logarithm (ex2.approx / lg2.approx, about 2 ulp): the Float32 math.
NMTL_DEV float exp2_fast(float x)
{
#if defined(NMTL_EMU)
    return std::exp2(x);
#elif defined(__CUDACC__)
    return exp2f(x);
#else
    return __nvvm_ex2_approx_f(x);
#endif
}

NMTL_DEV float log2_fast(float x)
{
#if defined(NMTL_EMU)
    return std::log2(x);
#elif defined(__CUDACC__)
    return log2f(x);
#else
    return __nvvm_lg2_approx_f(x);
#endif
}

NMTL_DEV float floor_of(float x) { return __builtin_floorf(x); }
NMTL_DEV double floor_of(double x) { return __builtin_floor(x); }

NMTL_DEV bool is_nan(float x) { return x != x; }
NMTL_DEV bool is_nan(double x) { return x != x; }

// ---------------------------------------------------------------------------------------------
// Strided tensors. A kernel sees each operand as a pointer already advanced to its first element and a
// descriptor of sizes and element strides (zero for a broadcast axis). The host merges axes that every
// operand lays out back to back, so dense tensors arrive as rank 1. Same layout as the C# KernelTensor.

#define NMTL_MAX_RANK 8

struct TensorDesc
{
    int rank;
    int reserved;
    i64 size[NMTL_MAX_RANK];
    i64 stride[NMTL_MAX_RANK];
};

// Element offset of the i-th element in row-major order of the descriptor's sizes.
NMTL_DEV i64 offset_of(const TensorDesc& d, i64 i)
{
    i64 offset = 0;
    for (int a = d.rank - 1; a > 0; --a)
    {
        i64 q = i / d.size[a];
        offset += (i - q * d.size[a]) * d.stride[a];
        i = q;
    }
    return d.rank > 0 ? offset + i * d.stride[0] : 0;
}

NMTL_DEV i64 global_thread() { return (i64)blockIdx.x * blockDim.x + threadIdx.x; }
NMTL_DEV i64 grid_threads() { return (i64)blockDim.x * gridDim.x; }

#define NMTL_GRID_STRIDE(i, n) for (i64 i = global_thread(); i < (n); i += grid_threads())

// ---------------------------------------------------------------------------------------------
// Reductions inside a block (blockDim.x a multiple of 32, at most 1024).

NMTL_DEV double warp_sum(double v)
{
    for (int delta = 16; delta > 0; delta >>= 1) v += shfl_down(v, delta);
    return v;
}

NMTL_DEV double max_nan(double a, double b) { return is_nan(a) || is_nan(b) ? a + b : (a > b ? a : b); }

NMTL_DEV double warp_max(double v)
{
    for (int delta = 16; delta > 0; delta >>= 1) v = max_nan(v, shfl_down(v, delta));
    return v;
}

// The block's total, returned to every thread. Ends with a barrier so that the scratch can be reused at once.
NMTL_DEV double block_sum(double v)
{
    __shared__ double partial[32];
    unsigned lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    v = warp_sum(v);
    if (lane == 0) partial[warp] = v;
    sync_threads();
    if (warp == 0)
    {
        v = warp_sum(lane < warps ? partial[lane] : 0.0);
        if (lane == 0) partial[0] = v;
    }
    sync_threads();
    double total = partial[0];
    sync_threads();
    return total;
}

NMTL_DEV double block_max(double v)
{
    __shared__ double partial[32];
    unsigned lane = threadIdx.x & 31, warp = threadIdx.x >> 5, warps = (blockDim.x + 31) >> 5;
    v = warp_max(v);
    if (lane == 0) partial[warp] = v;
    sync_threads();
    if (warp == 0)
    {
        v = warp_max(lane < warps ? partial[lane] : -__builtin_inf());
        if (lane == 0) partial[0] = v;
    }
    sync_threads();
    double result = partial[0];
    sync_threads();
    return result;
}

// ---------------------------------------------------------------------------------------------
// Conversions with the CPU backend's rules: float to Int32 truncates toward zero and saturates, NaN gives 0.

NMTL_DEV int to_i32(double v)
{
    if (is_nan(v)) return 0;
    if (v >= 2147483647.0) return 2147483647;
    if (v <= -2147483648.0) return -2147483647 - 1;
    return (int)v;
}

template <typename To> struct Convert;
template <> struct Convert<float> { template <typename From> NMTL_DEV float from(From v) { return (float)v; } };
template <> struct Convert<double> { template <typename From> NMTL_DEV double from(From v) { return (double)v; } };
template <> struct Convert<int> { template <typename From> NMTL_DEV int from(From v) { return to_i32((double)v); } };

// ---------------------------------------------------------------------------------------------
// Float32 math on the fast base-2 units. Relative error stays near 1e-6, well inside the CPU parity bounds.

#define NMTL_LOG2E 1.4426950408889634
#define NMTL_LN2 0.6931471805599453

NMTL_DEV float exp_of(float x) { return exp2_fast(x * (float)NMTL_LOG2E); }

NMTL_DEV float log_of(float x) { return log2_fast(x) * (float)NMTL_LN2; }

NMTL_DEV float tanh_of(float x)
{
    float a = x < 0 ? -x : x;
    if (is_nan(x) || x == 0) return x; // ±0 keeps its sign, as C's tanhf: the series below would give +0 for −0
    if (a < 0.6f)
    {
        // Taylor series: the closed form below would lose the leading digits to cancellation here.
        float z = x * x;
        float q = -1.0f / 3.0f + z * (2.0f / 15.0f + z * (-17.0f / 315.0f + z * (62.0f / 2835.0f + z * (-1382.0f / 155925.0f
            + z * (21844.0f / 6081075.0f + z * (-929569.0f / 638512875.0f))))));
        return x + x * z * q;
    }
    float t = 1.0f - 2.0f / (exp_of(2.0f * a) + 1.0f);
    return x < 0 ? -t : t;
}

// ---------------------------------------------------------------------------------------------
// Float64 math without libdevice: range reduction plus polynomials, about 1 ulp over the ranges used.

NMTL_DEV double scale_by_power_of_two(double x, int k)
{
    // Two steps keep each factor a normal number even when k reaches the ends of the exponent range.
    int k1 = k / 2, k2 = k - k1;
    double f1 = __builtin_bit_cast(double, (u64)(i64)(k1 + 1023) << 52);
    double f2 = __builtin_bit_cast(double, (u64)(i64)(k2 + 1023) << 52);
    return x * f1 * f2;
}

NMTL_DEV double exp_of(double x)
{
    if (is_nan(x)) return x;
    if (x > 709.79) return __builtin_inf();
    if (x < -745.2) return 0.0;
    // x = k·ln2 + r with |r| ≤ ln2/2, ln2 split in two so that k·ln2_hi is exact.
    double k = floor_of(x * NMTL_LOG2E + 0.5);
    double r = (x - k * 6.93147180369123816490e-01) - k * 1.90821492927058770002e-10;
    double p = 1.0 / 6227020800.0;
    p = p * r + 1.0 / 479001600.0;
    p = p * r + 1.0 / 39916800.0;
    p = p * r + 1.0 / 3628800.0;
    p = p * r + 1.0 / 362880.0;
    p = p * r + 1.0 / 40320.0;
    p = p * r + 1.0 / 5040.0;
    p = p * r + 1.0 / 720.0;
    p = p * r + 1.0 / 120.0;
    p = p * r + 1.0 / 24.0;
    p = p * r + 1.0 / 6.0;
    p = p * r + 0.5;
    p = p * r * r + r;
    return scale_by_power_of_two(1.0 + p, (int)k);
}

NMTL_DEV double log_of(double x)
{
    if (is_nan(x) || x < 0) return __builtin_nan("");
    if (x == 0) return -__builtin_inf();
    if (x == __builtin_inf()) return x;
    int extra = 0;
    if (x < 2.2250738585072014e-308)
    {
        x *= 18014398509481984.0; // 2^54 lifts a subnormal into the normal range
        extra = -54;
    }
    u64 bits = __builtin_bit_cast(u64, x);
    int e = (int)((bits >> 52) & 0x7ff) - 1023 + extra;
    double m = __builtin_bit_cast(double, (bits & 0x000fffffffffffffull) | 0x3ff0000000000000ull); // [1, 2)
    if (m > 1.4142135623730951)
    {
        m *= 0.5;
        e += 1;
    }
    // log m = 2·atanh(s), s = (m − 1)/(m + 1), |s| < 0.172.
    double s = (m - 1.0) / (m + 1.0), z = s * s;
    double p = 1.0 / 25;
    p = p * z + 1.0 / 23;
    p = p * z + 1.0 / 21;
    p = p * z + 1.0 / 19;
    p = p * z + 1.0 / 17;
    p = p * z + 1.0 / 15;
    p = p * z + 1.0 / 13;
    p = p * z + 1.0 / 11;
    p = p * z + 1.0 / 9;
    p = p * z + 1.0 / 7;
    p = p * z + 1.0 / 5;
    p = p * z + 1.0 / 3;
    double logm = 2.0 * s + 2.0 * s * z * p;
    return e * 6.93147180369123816490e-01 + (logm + e * 1.90821492927058770002e-10);
}

// e^x − 1 without cancellation for small x.
NMTL_DEV double expm1_of(double x)
{
    double a = x < 0 ? -x : x;
    if (a >= 1.25) return exp_of(x) - 1.0;
    double p = 1.0;
    for (int k = 24; k >= 2; --k) p = 1.0 + p * x / k;
    return x * p;
}

NMTL_DEV double tanh_of(double x)
{
    if (is_nan(x)) return x;
    double a = x < 0 ? -x : x;
    double t;
    if (a > 20) t = 1.0;
    else if (a < 0.6)
    {
        double e = expm1_of(2.0 * a);
        t = e / (e + 2.0);
    }
    else t = 1.0 - 2.0 / (exp_of(2.0 * a) + 1.0);
    return x < 0 ? -t : t;
}

// sin and cos on [−π/4, π/4] by their Taylor series.
NMTL_DEV double sin_kernel(double r)
{
    double z = r * r, p = -1.0 / 1307674368000.0;
    p = p * z + 1.0 / 6227020800.0;
    p = p * z - 1.0 / 39916800.0;
    p = p * z + 1.0 / 362880.0;
    p = p * z - 1.0 / 5040.0;
    p = p * z + 1.0 / 120.0;
    p = p * z - 1.0 / 6.0;
    return r + r * z * p;
}

NMTL_DEV double cos_kernel(double r)
{
    double z = r * r, p = 1.0 / 20922789888000.0;
    p = p * z - 1.0 / 87178291200.0;
    p = p * z + 1.0 / 479001600.0;
    p = p * z - 1.0 / 3628800.0;
    p = p * z + 1.0 / 40320.0;
    p = p * z - 1.0 / 720.0;
    p = p * z + 1.0 / 24.0;
    return 1.0 - 0.5 * z + z * z * p;
}

// cos x for moderate |x| (Box–Muller needs [0, 2π)): x = k·π/2 + r with π/2 in three parts (Cody–Waite).
NMTL_DEV double cos_of(double x)
{
    double k = floor_of(x * 0.63661977236758134308 + 0.5);
    double r = ((x - k * 1.57079632673412561417e+00) - k * 6.07710050650619224932e-11) - k * 2.02226624879595063154e-21;
    switch (((int)k) & 3)
    {
    case 0: return cos_kernel(r);
    case 1: return -sin_kernel(r);
    case 2: return -cos_kernel(r);
    default: return sin_kernel(r);
    }
}

// x^y for the values the CPU's Math.Pow accepts, including negative bases with integral exponents.
NMTL_DEV double pow_of(double x, double y)
{
    if (y == 0 || x == 1) return 1.0;
    if (is_nan(x) || is_nan(y)) return x + y;
    bool integral = floor_of(y) == y;
    if (x < 0 && !integral) return __builtin_nan("");
    double a = x < 0 ? -x : x;
    double r = a == 0 ? (y > 0 ? 0.0 : __builtin_inf()) : exp_of(y * log_of(a));
    bool odd = integral && (y < 9007199254740992.0 && y > -9007199254740992.0) && floor_of(y * 0.5) * 2 != y;
    return x < 0 && odd ? -r : r;
}

NMTL_DEV float pow_of(float x, float y)
{
    if (y == 0 || x == 1) return 1.0f;
    if (is_nan(x) || is_nan(y)) return x + y;
    bool integral = floor_of(y) == y;
    if (x < 0 && !integral) return __builtin_nanf("");
    float a = x < 0 ? -x : x;
    float r = a == 0 ? (y > 0 ? 0.0f : __builtin_inff()) : exp2_fast(y * log2_fast(a));
    bool odd = integral && (y < 16777216.0f && y > -16777216.0f) && floor_of(y * 0.5f) * 2 != y;
    return x < 0 && odd ? -r : r;
}

// Philox4x32-10, the CPU's Philox.cs mapping: counter (c, 0) under key = seed (random.cu and graddrop.cu draw from it).
struct PhiloxWords
{
    unsigned w0, w1, w2, w3;
};

NMTL_DEV PhiloxWords philox_block(u64 counter, u64 seed)
{
    unsigned c0 = (unsigned)counter, c1 = (unsigned)(counter >> 32), c2 = 0, c3 = 0;
    unsigned k0 = (unsigned)seed, k1 = (unsigned)(seed >> 32);
    for (int round = 0; round < 10; ++round)
    {
        unsigned hi0 = mul_hi(0xD2511F53u, c0), lo0 = 0xD2511F53u * c0;
        unsigned hi1 = mul_hi(0xCD9E8D57u, c2), lo1 = 0xCD9E8D57u * c2;
        unsigned n0 = hi1 ^ c1 ^ k0, n2 = hi0 ^ c3 ^ k1;
        c0 = n0;
        c1 = lo1;
        c2 = n2;
        c3 = lo0;
        k0 += 0x9E3779B9u;
        k1 += 0xBB67AE85u;
    }
    return { c0, c1, c2, c3 };
}

NMTL_DEV float unit_float(unsigned word) { return (float)(word >> 8) * (1.0f / 16777216.0f); }

NMTL_DEV double unit_double(unsigned high, unsigned low)
{
    return ((double)(high >> 5) * 67108864.0 + (double)(low >> 6)) * (1.0 / 9007199254740992.0);
}
