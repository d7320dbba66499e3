using System.Runtime.InteropServices;

namespace NativeMtl.Kernels;

/// <summary>Hyperparameters of a 2-d convolution; tensor sizes come from the tensors themselves.</summary>
public readonly record struct Conv2dGeometry(
    int StrideH = 1, int StrideW = 1,
    int PadH = 0, int PadW = 0,
    int DilationH = 1, int DilationW = 1,
    int Groups = 1)
{
    /// <summary>Stride 1, no padding, no dilation, one group. Declared so that <c>new Conv2dGeometry()</c>
    /// means this rather than an all-zero struct.</summary>
    public Conv2dGeometry() : this(1, 1, 0, 0, 1, 1, 1)
    {
    }

    public static int OutputSize(int input, int kernel, int stride, int pad, int dilation) =>
        (input + 2 * pad - dilation * (kernel - 1) - 1) / stride + 1;
}

/// <summary>Where a deformable convolution's kernelH × kernelW taps sit before its offsets move them: as an ordinary
/// convolution's (stride, padding, dilation; one group). The field order is the kernels' DeformWindow (deform_conv.cu),
/// so the struct itself is their argument.</summary>
[StructLayout(LayoutKind.Sequential)]
public readonly record struct DeformWindow(
    int KernelH, int KernelW,
    int StrideH, int StrideW,
    int PadH, int PadW,
    int DilationH, int DilationW)
{
    public static DeformWindow Of(int kernelH, int kernelW, Conv2dGeometry g) =>
        new(kernelH, kernelW, g.StrideH, g.StrideW, g.PadH, g.PadW, g.DilationH, g.DilationW);

    /// <summary>K, the number of taps: kernel tap k = i·KernelW + j.</summary>
    public int Taps => KernelH * KernelW;

    public int OutputHeight(int input) => Conv2dGeometry.OutputSize(input, KernelH, StrideH, PadH, DilationH);

    public int OutputWidth(int input) => Conv2dGeometry.OutputSize(input, KernelW, StrideW, PadW, DilationW);
}

/// <summary>Window of a 2-d pooling op. Average pooling divides by the full window, padding included,
/// when <see cref="CountIncludePad"/> is true (PyTorch's default).</summary>
public readonly record struct Pool2dGeometry(
    int KernelH, int KernelW,
    int StrideH, int StrideW,
    int PadH = 0, int PadW = 0,
    bool CountIncludePad = true)
{
    public static int OutputSize(int input, int kernel, int stride, int pad) => (input + 2 * pad - kernel) / stride + 1;
}

/// <summary>PyTorch's torch.optim.SGD semantics.</summary>
public readonly record struct SgdOptions(
    double LearningRate,
    double Momentum = 0,
    double Dampening = 0,
    double WeightDecay = 0,
    bool Nesterov = false);

/// <summary>PyTorch's torch.optim.Adam (Decoupled = false) and AdamW (Decoupled = true) semantics.</summary>
public readonly record struct AdamOptions(
    double LearningRate = 1e-3,
    double Beta1 = 0.9,
    double Beta2 = 0.999,
    double Epsilon = 1e-8,
    double WeightDecay = 0,
    bool Decoupled = false);
