using System.Numerics;

namespace NativeMtl.Kernels.Cpu;

/// <summary>Per-class sums and their transpose, the gather by label (kernels/class_sum.cu's CPU twins). The sum
/// splits the positions into fixed chunks summed in double in parallel, then adds the chunks' partial sums in
/// chunk order, so its result does not depend on the thread count.</summary>
public sealed unsafe partial class CpuBackend
{
    private const long ClassSumChunk = 1 << 16;

    public void ClassSum(TensorRef values, TensorRef labels, TensorRef sums)
    {
        CheckClassLayout("ClassSum", values, labels, sums);
        if (IsDouble(values, "ClassSum")) ClassSum<double>(values, labels, sums);
        else ClassSum<float>(values, labels, sums);
    }

    public void ClassGather(TensorRef g, TensorRef labels, TensorRef y)
    {
        CheckClassLayout("ClassGather", y, labels, g);
        if (IsDouble(y, "ClassGather")) ClassGather<double>(g, labels, y);
        else ClassGather<float>(g, labels, y);
    }

    private static void ClassSum<T>(TensorRef values, TensorRef labels, TensorRef sums) where T : unmanaged, IFloatingPointIeee754<T>
    {
        long n = values.Count;
        int classes = (int)sums.Count;
        long chunks = Math.Max(1, (n + ClassSumChunk - 1) / ClassSumChunk);
        var partial = new double[chunks * classes];
        T* pv = values.Ptr<T>();
        int* pl = labels.Ptr<int>();
        ParallelRange(chunks, (from, to) =>
        {
            for (long chunk = from; chunk < to; chunk++)
            {
                long end = Math.Min(n, (chunk + 1) * ClassSumChunk);
                for (long i = chunk * ClassSumChunk; i < end; i++)
                    if ((uint)pl[i] < (uint)classes) partial[chunk * classes + pl[i]] += double.CreateTruncating(pv[i]);
            }
        }, grain: 1);
        T* ps = sums.Ptr<T>();
        for (int c = 0; c < classes; c++)
        {
            double acc = 0;
            for (long chunk = 0; chunk < chunks; chunk++) acc += partial[chunk * classes + c];
            ps[c] = T.CreateTruncating(acc);
        }
    }

    private static void ClassGather<T>(TensorRef g, TensorRef labels, TensorRef y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int classes = (int)g.Count;
        T* pg = g.Ptr<T>(), py = y.Ptr<T>();
        int* pl = labels.Ptr<int>();
        ParallelRange(y.Count, (from, to) =>
        {
            for (long i = from; i < to; i++) py[i] = (uint)pl[i] < (uint)classes ? pg[pl[i]] : T.Zero;
        });
    }

    /// <summary>Per-position values and Int32 labels of one size, and a [C] vector of the same dtype, all contiguous.</summary>
    internal static void CheckClassLayout(string op, TensorRef perPosition, TensorRef labels, TensorRef perClass)
    {
        if (labels.DType != DType.Int32) throw new ArgumentException($"{op}: labels must be Int32, not {labels}");
        if (labels.Count != perPosition.Count) throw new ArgumentException($"{op}: {labels.Count} labels for {perPosition.Count} values");
        if (perClass.Rank != 1 || perClass.DType != perPosition.DType) throw new ArgumentException($"{op}: per-class {perClass} must be [C] of {perPosition.DType}");
        if (!perPosition.IsContiguous || !labels.IsContiguous || !perClass.IsContiguous) throw new ArgumentException($"{op}: operands must be contiguous");
    }
}
