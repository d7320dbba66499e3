using NativeMtl.Kernels.Cuda;

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

    public const float A = 1.5f;

    public static float[] X(int n) => TestData.Values(n, 1).Select(v => (float)v).ToArray();

    public static float[] Y(int n) => TestData.Values(n, 2).Select(v => (float)v).ToArray();

    /// <summary>y = a·x + y on the backend, launched as a user's op would, over one thread per element.</summary>
    public static float[] Run(CudaBackend backend, RuntimeModule module, int n)
    {
        using var x = Tensors.FromArray(X(n), new Shape(n), backend.Device);
        using var y = Tensors.FromArray(Y(n), new Shape(n), backend.Device);
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add((long)n);
        args.Add(A);
        args.Add(backend.DeviceAddress(x.Ref, "ScaleAdd"));
        args.Add(backend.DeviceAddress(y.Ref, "ScaleAdd"));
        backend.Launch(module, "scale_add_f32", backend.PerElementShape(n), args, "ScaleAdd", x.Ref, y.Ref);
        return y.ToArray<float>();
    }

    public static float[] OnTheCpu(int n)
    {
        var (x, y) = (X(n), Y(n));
        return x.Select((v, i) => A * v + y[i]).ToArray();
    }
}
