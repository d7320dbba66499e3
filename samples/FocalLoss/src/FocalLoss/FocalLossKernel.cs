using NativeMtl;
using NativeMtl.Kernels;
using NativeMtl.Kernels.Cuda;
using NativeMtl.Raw;

namespace FocalLoss;

/// <summary>The focal loss and its gradient on a CUDA device (or the engine's host emulator) by focal_loss.cu, a
/// run-time module: compiled by NVRTC on the first launch on a GPU, built by g++ into a <see cref="HostEmulator"/>.</summary>
public static class FocalLossKernel
{
    public static RuntimeModule Module { get; } = RuntimeModule.FromCudaSource("focal_loss", Source());

    public static (Tensor Loss, Tensor Gradient) Forward(Tensor logits, Tensor labels, double gamma, int ignoreIndex)
    {
        const string op = "FocalLoss";
        if (logits.Backend is not CudaBackend backend) throw new ArgumentException($"{op}: no kernel for {logits.Device}");
        if (logits.DType is not (DType.Float32 or DType.Float64)) throw new ArgumentException($"{op}: logits must be Float32 or Float64, not {logits.DType}");
        using var z = Ops.Contiguous(logits);
        using var y = Ops.Contiguous(labels);
        int n = logits.Shape[0], channels = logits.Shape[1], height = logits.Shape[2], width = logits.Shape[3];
        long plane = (long)height * width, pixels = n * plane;
        var loss = Tensors.Empty(new Shape(n, height, width), logits.DType, logits.Device);
        var gradient = Tensors.Empty(logits.Shape, logits.DType, logits.Device);
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add(pixels);
        args.Add(channels);
        args.Add(plane);
        args.Add(backend.DeviceAddress(z.Ref, op));
        args.Add(backend.DeviceAddress(y.Ref, op));
        if (logits.DType == DType.Float32) args.Add((float)gamma);
        else args.Add(gamma);
        args.Add(ignoreIndex);
        args.Add(backend.DeviceAddress(loss.Ref, op));
        args.Add(backend.DeviceAddress(gradient.Ref, op));
        backend.Launch(Module, logits.DType == DType.Float32 ? "focal_loss_f32" : "focal_loss_f64", backend.PerElementShape(pixels), args, op,
            z.Ref, y.Ref, loss.Ref, gradient.Ref);
        return (loss, gradient);
    }

    private static string Source()
    {
        using var stream = typeof(FocalLossKernel).Assembly.GetManifestResourceStream("FocalLoss.focal_loss.cu")!;
        return new StreamReader(stream).ReadToEnd();
    }
}
