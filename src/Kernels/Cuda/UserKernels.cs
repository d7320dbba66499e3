namespace NativeMtl.Kernels.Cuda;

/// <summary>
/// What an op of the user's own needs to launch its kernels (a <see cref="RuntimeModule"/>) on this backend: the
/// device address of each tensor, the engine's one-thread-per-element launch shape, and the launch itself, queued on
/// the backend's stream after the work before it, as the engine's kernels are (on a GPU and in a
/// <see cref="HostEmulator"/> alike).
/// </summary>
public sealed partial class CudaBackend
{
    /// <summary>Launches <paramref name="kernel"/> of <paramref name="module"/> with <paramref name="args"/> (one
    /// <c>Add</c> per kernel parameter, in order, with its exact C type). <paramref name="op"/> and
    /// <paramref name="operands"/> name the launch in its errors.</summary>
    public void Launch(RuntimeModule module, string kernel, LaunchShape shape, in KernelArgs args, string op, params ReadOnlySpan<TensorRef> operands) =>
        _launcher.Launch(module, kernel, shape, args.Pointers, op, operands);

    /// <summary>The device address of the tensor's first element, for a pointer parameter. The tensor must live on
    /// this backend; <paramref name="op"/> names the error when it does not.</summary>
    public ulong DeviceAddress(TensorRef t, string op) => Address(t, op);

    /// <summary>The launch shape of the engine's one-thread-per-element kernels over <paramref name="count"/>
    /// elements: blocks of 256 threads, as many as cover <paramref name="count"/> up to the backend's grid cap, so
    /// the kernel must loop over the grid (<c>NMTL_GRID_STRIDE</c>) to reach the rest.</summary>
    public LaunchShape PerElementShape(long count) => PerElement(count);
}
