// The focal loss of each pixel of logits [N, C, P] against Int32 labels [N, P] (P = H·W), one thread per pixel: the
// softmax over the C channels (less their maximum), the loss −(1 − p_y)^γ · log p_y, and its gradient with respect
// to every logit, dFL/dp_y · p_y (δ_ky − p_k). A pixel with the ignore label gets 0 and a zero gradient; a label
// outside [0, C) gets NaN, which the training step reports as a non-finite loss (a kernel cannot throw).
#include "prelude.cuh"

template <typename T>
NMTL_DEV void focal_loss(i64 pixels, int channels, i64 plane, const T* logits, const int* labels, T gamma, int ignore, T* loss,
                         T* gradient)
{
    NMTL_GRID_STRIDE(i, pixels)
    {
        i64 first = (i / plane) * channels * plane + i % plane;
        const T* z = logits + first;
        T* g = gradient + first;
        int y = labels[i];
        if (y == ignore || y < 0 || y >= channels)
        {
            loss[i] = y == ignore ? (T)0 : (T)__builtin_nan("");
            for (int k = 0; k < channels; k++) g[k * plane] = (T)0;
            continue;
        }
        T top = z[0];
        for (int k = 1; k < channels; k++) top = z[k * plane] > top ? z[k * plane] : top;
        T sum = (T)0;
        for (int k = 0; k < channels; k++) sum += exp_of(z[k * plane] - top);
        T log_pt = z[y * plane] - top - log_of(sum), pt = exp_of(log_pt), rest = (T)1 - pt, focal = pow_of(rest, gamma);
        loss[i] = -focal * log_pt;
        T d_pt = (gamma == (T)0 ? (T)0 : gamma * pow_of(rest, gamma - (T)1) * log_pt) - focal / pt;
        for (int k = 0; k < channels; k++) g[k * plane] = d_pt * pt * ((k == y ? (T)1 : (T)0) - exp_of(z[k * plane] - top) / sum);
    }
}

#define FOCAL_LOSS(suffix, T)                                                                                           \
    NMTL_KERNEL focal_loss_##suffix(i64 pixels, int channels, i64 plane, const T* logits, const int* labels, T gamma,  \
                                    int ignore, T* loss, T* gradient)                                                  \
    {                                                                                                                   \
        focal_loss<T>(pixels, channels, plane, logits, labels, gamma, ignore, loss, gradient);                         \
    }                                                                                                                   \
    NMTL_EXPORT(focal_loss_##suffix)

FOCAL_LOSS(f32, float)
FOCAL_LOSS(f64, double)
