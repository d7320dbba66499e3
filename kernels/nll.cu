// Negative log-likelihood per position for log-probabilities [N, C, inner] and Int32 targets [N, inner].
// A target outside [0, C) that is not the ignore index cannot raise an error on the device: the kernel
// records the smallest such position in *bad (atomic minimum), and the host reports it when it next waits.
#include "prelude.cuh"

template <typename T>
NMTL_DEV void nll_forward(i64 positions, int classes, i64 inner, int ignore_index, const T* log_probs, const int* target,
                          T* loss, T* valid, int* bad)
{
    NMTL_GRID_STRIDE(q, positions)
    {
        int t = target[q];
        bool counts = t != ignore_index && t >= 0 && t < classes;
        if (!counts && t != ignore_index) atomic_min(bad, (int)q);
        i64 n = q / inner;
        loss[q] = counts ? -log_probs[(n * classes + t) * inner + (q - n * inner)] : (T)0;
        valid[q] = counts ? (T)1 : (T)0;
    }
}

// One thread per element of gLogProbs, so no separate zeroing pass is needed.
template <typename T>
NMTL_DEV void nll_backward(i64 total, int classes, i64 inner, int ignore_index, const T* g_loss, const int* target,
                           T* g_log_probs, int* bad)
{
    NMTL_GRID_STRIDE(k, total)
    {
        i64 i = k % inner, nc = k / inner;
        i64 n = nc / classes;
        int c = (int)(nc - n * classes);
        i64 q = n * inner + i;
        int t = target[q];
        bool counts = t != ignore_index && t >= 0 && t < classes;
        if (c == 0 && !counts && t != ignore_index) atomic_min(bad, (int)q);
        g_log_probs[k] = counts && t == c ? -g_loss[q] : (T)0;
    }
}

#define NMTL_NLL(suffix, T)                                                                                          \
    NMTL_KERNEL nll_forward_##suffix(i64 positions, int classes, i64 inner, int ignore_index, const T* log_probs,  \
                                     const int* target, T* loss, T* valid, int* bad)                                 \
    {                                                                                                                \
        nll_forward<T>(positions, classes, inner, ignore_index, log_probs, target, loss, valid, bad);               \
    }                                                                                                                \
    NMTL_EXPORT(nll_forward_##suffix)                                                                                \
    NMTL_KERNEL nll_backward_##suffix(i64 total, int classes, i64 inner, int ignore_index, const T* g_loss,        \
                                      const int* target, T* g_log_probs, int* bad)                                   \
    {                                                                                                                \
        nll_backward<T>(total, classes, inner, ignore_index, g_loss, target, g_log_probs, bad);                     \
    }                                                                                                                \
    NMTL_EXPORT(nll_backward_##suffix)

NMTL_NLL(f32, float)
NMTL_NLL(f64, double)
