namespace NativeMtl.Kernels.Cuda;

/// <summary>Grid and block sizes of a launch, as cuLaunchKernel takes them.</summary>
public readonly record struct LaunchShape(uint GridX, uint BlockX, uint GridY = 1, uint GridZ = 1, uint BlockY = 1, uint BlockZ = 1)
{
    public uint Threads => BlockX * BlockY * BlockZ;
}

/// <summary>
/// Launches a kernel of kernels/*.cu by its extern "C" name. <paramref name="args"/> is cuLaunchKernel's
/// kernelParams: one pointer per kernel parameter, to that parameter's value (see <see cref="KernelArgs"/>).
/// The GPU launcher (<see cref="CudaLauncher"/>) and the test suite's host emulator receive the very same array.
/// </summary>
public interface IKernelLauncher
{
    /// <param name="op">The backend op and operands, named in the error when the launch fails.</param>
    void Launch(string kernel, LaunchShape shape, ReadOnlySpan<nint> args, string op, ReadOnlySpan<TensorRef> operands);
}
