using System.Runtime.InteropServices;

namespace NativeMtl.Kernels.Cuda;

/// <summary>Deformable convolution's columns, their adjoints and their tangent along the offsets (kernels/deform_conv.cu).
/// The columns, the input gradient and the tangent run a thread per column element; the offset gradient a thread per
/// (sample, tap, position).</summary>
public sealed partial class CudaBackend
{
    public void DeformIm2Col(TensorRef x, TensorRef offset, TensorRef columns, DeformWindow window) =>
        Deform("DeformIm2Col", "deform_im2col", columns.Count, x, offset, window, [x, offset, columns]);

    /// <summary>Zeroes gx, then scatters every column gradient into its sample's four corners with atomic adds.</summary>
    public void DeformIm2ColBackwardData(TensorRef gColumns, TensorRef offset, TensorRef gx, DeformWindow window)
    {
        Fill(gx, 0);
        Deform("DeformIm2ColBackwardData", "deform_im2col_backward_data", gColumns.Count, gx, offset, window, [gColumns, offset, gx]);
    }

    public void DeformIm2ColBackwardOffset(TensorRef gColumns, TensorRef x, TensorRef offset, TensorRef gOffset, DeformWindow window) =>
        Deform("DeformIm2ColBackwardOffset", "deform_im2col_backward_offset", gOffset.Count / 2, x, offset, window, [gColumns, x, offset, gOffset]);

    public void DeformIm2ColJvpOffset(TensorRef x, TensorRef offset, TensorRef tOffset, TensorRef tColumns, DeformWindow window) =>
        Deform("DeformIm2ColJvpOffset", "deform_im2col_jvp_offset", tColumns.Count, x, offset, window, [x, offset, tOffset, tColumns]);

    /// <param name="threads">One per element of the work: columns, or (sample, tap, position) triples.</param>
    /// <param name="image">A tensor with the input's sizes [N, C, H, W] (x, or gx).</param>
    /// <param name="operands">The kernel's pointer parameters, in order.</param>
    private void Deform(string op, string kernel, long threads, TensorRef image, TensorRef offset, DeformWindow window,
        ReadOnlySpan<TensorRef> operands)
    {
        string suffix = FloatSuffix(image, op);
        RequireContiguous(op, operands);
        if (threads == 0) return;
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add(threads);
        args.Add(new KernelDeformSizes(image.Shape[1], image.Shape[2], image.Shape[3], offset.Shape[3], window.Taps,
            (long)offset.Shape[2] * offset.Shape[3]));
        args.Add(window);
        foreach (var operand in operands) args.Add(Address(operand, op));
        Launch($"{kernel}_{suffix}", PerElement(threads), args, op, operands);
    }

    /// <summary>The kernels' DeformSizes.</summary>
    [StructLayout(LayoutKind.Sequential)]
    private readonly record struct KernelDeformSizes(int Channels, int Height, int Width, int OutW, int Taps, long Positions);
}
