// Optimizer steps in place, one thread per element, with the CPU backend's rules and its coefficients
// (rounded to T on the host, bias corrections in double): torch.optim.SGD and torch.optim.Adam/AdamW.
#include "prelude.cuh"

enum { SgdFirstStep = 1, SgdNesterov = 2, SgdWeightDecay = 4 };
enum { AdamWeightDecay = 1, AdamDecoupled = 2, AdamLerpFromM = 4 };

// d = g + wd·p; with a momentum buffer: buf = d on the first step, momentum·buf + keep·d after, then
// d = buf (or d + momentum·buf for Nesterov); p += −lr·d.
template <typename T>
NMTL_DEV void sgd_step(i64 n, T* param, const T* grad, T* buffer, T neg_lr, T decay, T momentum, T keep, int flags)
{
    NMTL_GRID_STRIDE(i, n)
    {
        T p = param[i], d = grad[i];
        if (flags & SgdWeightDecay) d = d + decay * p;
        if (buffer)
        {
            T b = (flags & SgdFirstStep) ? d : momentum * buffer[i] + keep * d;
            buffer[i] = b;
            d = (flags & SgdNesterov) ? d + momentum * b : b;
        }
        param[i] = p + neg_lr * d;
    }
}

// Adam (g += wd·p) or AdamW (p ·= shrink); m moves towards g by torch's lerp; v = β2·v + (1 − β2)·g²;
// p += negStepSize·m / (√v / √bc2 + eps).
template <typename T>
NMTL_DEV void adam_step(i64 n, T* param, const T* grad, T* m, T* v, T decay, T shrink, T m_weight, T m_weight_complement,
                        T beta2, T v_weight, T bc2_sqrt, T eps, T neg_step_size, int flags)
{
    NMTL_GRID_STRIDE(i, n)
    {
        T p = param[i], g = grad[i];
        if (flags & AdamWeightDecay)
        {
            if (flags & AdamDecoupled) p = p * shrink;
            else g = g + decay * p;
        }
        T mi = m[i];
        mi = (flags & AdamLerpFromM) ? mi + m_weight * (g - mi) : g - (g - mi) * m_weight_complement;
        T vi = beta2 * v[i] + v_weight * g * g;
        T denom = sqrt_rn(vi) / bc2_sqrt + eps;
        m[i] = mi;
        v[i] = vi;
        param[i] = p + neg_step_size * mi / denom;
    }
}

#define NMTL_OPTIM(suffix, T)                                                                                        \
    NMTL_KERNEL sgd_step_##suffix(i64 n, T* param, const T* grad, T* buffer, T neg_lr, T decay, T momentum, T keep, \
                                  int flags)                                                                         \
    {                                                                                                                \
        sgd_step<T>(n, param, grad, buffer, neg_lr, decay, momentum, keep, flags);                                   \
    }                                                                                                                \
    NMTL_EXPORT(sgd_step_##suffix)                                                                                   \
    NMTL_KERNEL adam_step_##suffix(i64 n, T* param, const T* grad, T* m, T* v, T decay, T shrink, T m_weight,       \
                                   T m_weight_complement, T beta2, T v_weight, T bc2_sqrt, T eps, T neg_step_size,   \
                                   int flags)                                                                        \
    {                                                                                                                \
        adam_step<T>(n, param, grad, m, v, decay, shrink, m_weight, m_weight_complement, beta2, v_weight, bc2_sqrt,  \
                     eps, neg_step_size, flags);                                                                     \
    }                                                                                                                \
    NMTL_EXPORT(adam_step_##suffix)

NMTL_OPTIM(f32, float)
NMTL_OPTIM(f64, double)
