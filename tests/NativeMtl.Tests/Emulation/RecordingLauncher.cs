using System.Collections.Concurrent;
using NativeMtl.Kernels;
using NativeMtl.Kernels.Cuda;

namespace NativeMtl.Tests.Emulation;

/// <summary>A launcher that remembers which kernels ran, in order, and hands each launch on.</summary>
internal sealed class RecordingLauncher(IKernelLauncher inner) : IKernelLauncher
{
    public ConcurrentQueue<string> Launched { get; } = new();

    public void Launch(string kernel, LaunchShape shape, ReadOnlySpan<nint> args, string op, ReadOnlySpan<TensorRef> operands)
    {
        inner.Launch(kernel, shape, args, op, operands);
        Launched.Enqueue(kernel);
    }

    public void Launch(RuntimeModule module, string kernel, LaunchShape shape, ReadOnlySpan<nint> args, string op, ReadOnlySpan<TensorRef> operands)
    {
        inner.Launch(module, kernel, shape, args, op, operands);
        Launched.Enqueue(kernel);
    }
}
