namespace NativeMtl.Kernels.Cuda;

/// <summary>Grid and block sizes of a launch, as cuLaunchKernel takes them.</summary>
public readonly record struct LaunchShape(uint GridX, uint BlockX, uint GridY = 1, uint GridZ = 1, uint BlockY = 1, uint BlockZ = 1)
{
    public uint Threads => BlockX * BlockY * BlockZ;
}

/// <summary>
/// Launches a kernel by its extern "C" name: one of kernels/*.cu, or one of a user's <see cref="RuntimeModule"/>.
/// <c>args</c> is cuLaunchKernel's kernelParams: one pointer per kernel parameter, to that parameter's value (see
/// <see cref="KernelArgs"/>). The GPU launcher (<see cref="CudaLauncher"/>) and the <see cref="HostEmulator"/>'s
/// receive the very same array.
/// </summary>
public interface IKernelLauncher
{
    /// <param name="op">The backend op and operands, named in the error when the launch fails.</param>
    void Launch(string kernel, LaunchShape shape, ReadOnlySpan<nint> args, string op, ReadOnlySpan<TensorRef> operands);

    /// <summary>A kernel of a user's module: on a GPU, from the module's PTX for the device's compute capability.</summary>
    /// <param name="op">The user's op and operands, named in the error when the launch fails.</param>
    void Launch(RuntimeModule module, string kernel, LaunchShape shape, ReadOnlySpan<nint> args, string op, ReadOnlySpan<TensorRef> operands);
}
