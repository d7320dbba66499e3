namespace NativeMtl.Kernels.Cuda;

/// <summary>
/// Caps on grid sizes. <see cref="MaxGrid"/>: the blocks of a grid-stride launch (one thread per element, a block per
/// row or per output), whose kernels loop over what lies beyond. <see cref="MaxReductionBlocks"/>: the blocks of a
/// two-pass reduction (Gram matrix, masked L1), each writing one partial that a single block then adds up. On a GPU
/// the caps are large enough to fill any current one several times over; the test suite's emulation takes tiny
/// ones so that every kernel's loop over the grid wraps at the sizes it tests.
/// </summary>
public sealed record LaunchLimits(long MaxGrid, long MaxReductionBlocks)
{
    public static LaunchLimits Gpu { get; } = new(8192, 1024);
}
