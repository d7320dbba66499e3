using System.Numerics;
using System.Numerics.Tensors;

namespace NativeMtl.Kernels.Cpu;

/// <summary>Reductions: each output element walks its own block of x (kept axes outside, reduced axes
/// inside), so outputs split across threads without sharing anything. Float32 sums accumulate vector
/// partial sums per run and runs in double.</summary>
public sealed unsafe partial class CpuBackend
{
    private const int SumSpan = 1024;

    public void Reduce(ReduceOp op, TensorRef x, TensorRef y)
    {
        if (x.Rank != y.Rank) throw new ArgumentException($"Reduce: {x} and {y} differ in rank");
        if (IsDouble(x, op.ToString())) Reduce<double>(op, x, y);
        else Reduce<float>(op, x, y);
    }

    private static void Reduce<T>(ReduceOp op, TensorRef x, TensorRef y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (kept, reduced) = SplitAxes(x, y);
        var (blockDims, blockSteps) = StridedLoop.Coalesce(reduced.Select(a => x.Shape[a]).ToArray(), [reduced.Select(a => x.Strides[a]).ToArray()]);
        long blockSize = 1;
        foreach (var d in blockDims) blockSize *= d;
        long outputs = y.Count;
        T* px = x.Ptr<T>(), py = y.Ptr<T>();
        ParallelRange(outputs, (from, to) =>
        {
            for (long o = from; o < to; o++)
            {
                var (xBase, yOffset) = Locate(o, kept, x, y);
                double acc = ReduceBlock(op, px + xBase, blockDims, blockSteps[0]);
                py[yOffset] = op switch
                {
                    ReduceOp.Mean => T.CreateTruncating(acc / blockSize),
                    ReduceOp.L2Norm => T.CreateTruncating(Math.Sqrt(acc)),
                    _ => T.CreateTruncating(acc),
                };
            }
        }, Math.Max(1, StridedLoop.ParallelThreshold / Math.Max(blockSize, 1)));
    }

    /// <summary>Sum (of squares for L2Norm) or max of one block of x.</summary>
    private static double ReduceBlock<T>(ReduceOp op, T* p, int[] dims, long[] steps) where T : unmanaged, IFloatingPointIeee754<T>
    {
        bool max = op == ReduceOp.Max;
        double acc = max ? double.NegativeInfinity : 0;
        if (dims.Length == 0) return Combine(op, acc, *p);
        int inner = dims[^1];
        long innerStep = steps[^1];
        int outerRank = dims.Length - 1;
        Span<int> index = stackalloc int[Math.Max(outerRank, 1)];
        long outer = 1;
        for (int a = 0; a < outerRank; a++) outer *= dims[a];
        long offset = 0;
        for (long r = 0; r < outer; r++)
        {
            T* run = p + offset;
            if (innerStep == 1)
            {
                // Vector partial sums in T stay accurate over short spans; longer runs add up in double.
                for (int start = 0; start < inner; start += SumSpan)
                {
                    var span = new ReadOnlySpan<T>(run + start, Math.Min(SumSpan, inner - start));
                    double part = op switch
                    {
                        ReduceOp.Max => double.CreateTruncating(TensorPrimitives.Max(span)),
                        ReduceOp.L2Norm => double.CreateTruncating(TensorPrimitives.SumOfSquares(span)),
                        _ => double.CreateTruncating(TensorPrimitives.Sum(span)),
                    };
                    acc = max ? MaxPropagatingNaN(acc, part) : acc + part;
                }
            }
            else
            {
                for (int i = 0; i < inner; i++) acc = Combine(op, acc, run[i * innerStep]);
            }
            for (int a = outerRank - 1; a >= 0; a--)
            {
                offset += steps[a];
                if (++index[a] < dims[a]) break;
                offset -= steps[a] * dims[a];
                index[a] = 0;
            }
        }
        return acc;
    }

    private static double Combine<T>(ReduceOp op, double acc, T value) where T : unmanaged, IFloatingPointIeee754<T>
    {
        double v = double.CreateTruncating(value);
        return op switch
        {
            ReduceOp.Max => MaxPropagatingNaN(acc, v),
            ReduceOp.L2Norm => acc + v * v,
            _ => acc + v,
        };
    }

    private static double MaxPropagatingNaN(double a, double b) => double.IsNaN(a) || double.IsNaN(b) ? double.NaN : Math.Max(a, b);

    public void ArgMax(TensorRef x, int axis, TensorRef y)
    {
        if (IsDouble(x, "ArgMax")) ArgMax<double>(x, axis, y);
        else ArgMax<float>(x, axis, y);
    }

    private static void ArgMax<T>(TensorRef x, int axis, TensorRef y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (kept, _) = SplitAxes(x, y);
        int size = x.Shape[axis];
        long stride = x.Strides[axis];
        T* px = x.Ptr<T>();
        int* py = y.Ptr<int>();
        ParallelRange(y.Count, (from, to) =>
        {
            for (long o = from; o < to; o++)
            {
                var (xBase, yOffset) = Locate(o, kept, x, y);
                T* p = px + xBase;
                int best = 0;
                for (int i = 1; i < size && !T.IsNaN(p[best * stride]); i++)
                    if (p[i * stride] > p[best * stride] || T.IsNaN(p[i * stride])) best = i;
                py[yOffset] = best;
            }
        }, Math.Max(1, StridedLoop.ParallelThreshold / Math.Max(size, 1)));
    }

    /// <summary>The kept axes (y's size equals x's) and the reduced ones (y has 1 where x does not).</summary>
    private static (int[] Kept, int[] Reduced) SplitAxes(TensorRef x, TensorRef y)
    {
        var kept = new List<int>();
        var reduced = new List<int>();
        for (int a = 0; a < x.Rank; a++)
        {
            if (y.Shape[a] == x.Shape[a]) kept.Add(a);
            else if (y.Shape[a] == 1) reduced.Add(a);
            else throw new ArgumentException($"cannot reduce {x} to {y}");
        }
        return (kept.ToArray(), reduced.ToArray());
    }

    /// <summary>Offsets in x and y of output element number <paramref name="o"/> in y's row-major order.</summary>
    private static (long X, long Y) Locate(long o, int[] kept, TensorRef x, TensorRef y)
    {
        long xo = 0, yo = 0;
        for (int k = kept.Length - 1; k >= 0; k--)
        {
            int a = kept[k];
            long i = o % x.Shape[a];
            o /= x.Shape[a];
            xo += i * x.Strides[a];
            yo += i * y.Strides[a];
        }
        return (xo, yo);
    }
}
