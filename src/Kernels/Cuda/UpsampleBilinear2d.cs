namespace NativeMtl.Kernels.Cuda;

/// <summary>Bilinear resize, align_corners=false (kernels/upsample.cu). Both passes run a thread per element of
/// the resized tensor (y, or gy).</summary>
public sealed partial class CudaBackend
{
    public void UpsampleBilinear2dForward(TensorRef x, TensorRef y) =>
        Upsample("UpsampleBilinear2dForward", "upsample_bilinear_forward", input: x, output: y, from: x, to: y);

    /// <summary>Zeroes gx, then scatters every output gradient into its four taps with atomic adds.</summary>
    public void UpsampleBilinear2dBackward(TensorRef gy, TensorRef gx)
    {
        Fill(gx, 0);
        Upsample("UpsampleBilinear2dBackward", "upsample_bilinear_backward", input: gx, output: gy, from: gy, to: gx);
    }

    /// <param name="input">A tensor with the forward input's sizes.</param>
    /// <param name="output">A tensor with the forward output's sizes; one thread per element.</param>
    private void Upsample(string op, string kernel, TensorRef input, TensorRef output, TensorRef from, TensorRef to)
    {
        string suffix = FloatSuffix(from, op);
        RequireContiguous(op, from, to);
        long total = output.Count;
        if (total == 0) return;
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add(total);
        args.Add(input.Shape[2]);
        args.Add(input.Shape[3]);
        args.Add(output.Shape[2]);
        args.Add(output.Shape[3]);
        args.Add(Address(from, op));
        args.Add(Address(to, op));
        Launch($"{kernel}_{suffix}", PerElement(total), args, op, [from, to]);
    }
}
