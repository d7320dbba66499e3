namespace NativeMtl.Tests.Cuda;

/// <summary>A user's kernel as the run-time module tests write it: y = a·x + y over a grid-stride loop, rounded as the
/// CPU rounds (mul_rn and add_rn are never fused into an FMA), so every element equals the CPU's bit for bit.</summary>
internal static class ScaleAddKernel
{
    public const string Source = """
        #include "prelude.cuh"

        NMTL_KERNEL scale_add_f32(i64 n, float a, const float* x, float* y)
        {
            NMTL_GRID_STRIDE(i, n) y[i] = add_rn(mul_rn(a, x[i]), y[i]);
        }
        NMTL_EXPORT(scale_add_f32)
        """;
}
