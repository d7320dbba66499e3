using NativeMtl.Kernels.Cpu;

namespace NativeMtl.Kernels.Cuda;

/// <summary>Reductions (kernels/reduce.cu). x's axes split into kept ones (one output each) and reduced ones
/// (the block each output reduces), each group merged and described with x's strides.</summary>
public sealed partial class CudaBackend
{
    /// <summary>Blocks of at most this many elements are reduced by one thread each, longer ones by a block.</summary>
    private const long ThreadReduceLimit = 64;

    private const uint ReduceBlock = 256;

    public void Reduce(ReduceOp op, TensorRef x, TensorRef y)
    {
        string name = op.ToString(), suffix = FloatSuffix(x, name);
        if (x.Rank != y.Rank) throw new ArgumentException($"{name}: {x} and {y} differ in rank");
        var (kept, reduced) = SplitReduction(name, x, y);
        long outputs = y.Count;
        if (outputs == 0) return;
        var (keptDims, keptSteps) = StridedLoop.Coalesce(kept.Select(a => x.Shape[a]).ToArray(), [kept.Select(a => x.Strides[a]).ToArray(), kept.Select(a => y.Strides[a]).ToArray()]);
        var (blockDims, blockSteps) = StridedLoop.Coalesce(reduced.Select(a => x.Shape[a]).ToArray(), [reduced.Select(a => x.Strides[a]).ToArray()]);
        long count = 1;
        foreach (var a in reduced) count *= x.Shape[a];
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add((int)op);
        args.Add(outputs);
        args.Add(count);
        args.Add(Address(x, name));
        args.Add(KernelTensor.Of(name, keptDims, keptSteps[0]));
        args.Add(KernelTensor.Of(name, blockDims, blockSteps[0]));
        args.Add(Address(y, name));
        args.Add(KernelTensor.Of(name, keptDims, keptSteps[1]));
        if (count <= ThreadReduceLimit) Launch($"reduce_thread_{suffix}", PerElement(outputs), args, name, [x, y]);
        else Launch($"reduce_block_{suffix}", new LaunchShape((uint)Math.Min(outputs, _limits.MaxGrid), ReduceBlock), args, name, [x, y]);
    }

    public void ArgMax(TensorRef x, int axis, TensorRef y)
    {
        string suffix = FloatSuffix(x, "ArgMax");
        if ((uint)axis >= (uint)x.Rank) throw new ArgumentOutOfRangeException(nameof(axis), $"ArgMax: axis {axis} of {x}");
        var (kept, _) = SplitReduction("ArgMax", x, y);
        long outputs = y.Count;
        if (outputs == 0) return;
        var (keptDims, keptSteps) = StridedLoop.Coalesce(kept.Select(a => x.Shape[a]).ToArray(), [kept.Select(a => x.Strides[a]).ToArray(), kept.Select(a => y.Strides[a]).ToArray()]);
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add(outputs);
        args.Add(x.Shape[axis]);
        args.Add(x.Strides[axis]);
        args.Add(Address(x, "ArgMax"));
        args.Add(KernelTensor.Of("ArgMax", keptDims, keptSteps[0]));
        args.Add(Address(y, "ArgMax"));
        args.Add(KernelTensor.Of("ArgMax", keptDims, keptSteps[1]));
        Launch($"argmax_{suffix}", PerElement(outputs), args, "ArgMax", [x, y]);
    }

    /// <summary>The kept axes (y's size equals x's) and the reduced ones (y has 1 where x does not).</summary>
    private static (int[] Kept, int[] Reduced) SplitReduction(string op, TensorRef x, TensorRef y)
    {
        var kept = new List<int>();
        var reduced = new List<int>();
        for (int a = 0; a < x.Rank; a++)
        {
            if (y.Shape[a] == x.Shape[a]) kept.Add(a);
            else if (y.Shape[a] == 1) reduced.Add(a);
            else throw new ArgumentException($"{op}: cannot reduce {x} to {y}");
        }
        return (kept.ToArray(), reduced.ToArray());
    }
}
