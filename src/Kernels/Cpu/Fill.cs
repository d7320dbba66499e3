using System.Numerics;

namespace NativeMtl.Kernels.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void Fill(TensorRef y, double value)
    {
        switch (y.DType)
        {
            case DType.Float32: FillWith(y, (float)value); break;
            case DType.Float64: FillWith(y, value); break;
            default: FillWith(y, checked((int)value)); break;
        }
    }

    private static void FillWith<T>(TensorRef y, T value) where T : unmanaged =>
        StridedLoop.ForEachRun(y.Shape, [y.Strides], new FillRun<T>(y.Ptr<T>(), value));

    private readonly struct FillRun<T>(T* y, T value) : IRunKernel where T : unmanaged
    {
        public void Run(ReadOnlySpan<long> offsets, int length, ReadOnlySpan<long> strides)
        {
            if (strides[0] == 1) new Span<T>(y + offsets[0], length).Fill(value);
            else for (int i = 0; i < length; i++) y[offsets[0] + i * strides[0]] = value;
        }
    }

    public void Arange(TensorRef y, double start, double step)
    {
        switch (y.DType)
        {
            case DType.Float32: Arange<float>(y, start, step); break;
            case DType.Float64: Arange<double>(y, start, step); break;
            default: Arange<int>(y, start, step); break;
        }
    }

    private static void Arange<T>(TensorRef y, double start, double step) where T : unmanaged, INumberBase<T>
    {
        var values = y.Span<T>();
        for (int i = 0; i < values.Length; i++) values[i] = T.CreateTruncating(start + i * step);
    }

    public void Random(TensorRef y, RandomDistribution distribution, ulong seed, ulong offset, double a, double b)
    {
        long count = y.Count;
        if (IsDouble(y, "Random"))
        {
            double* p = y.Ptr<double>();
            ParallelRange(count, (from, to) =>
            {
                for (long i = from; i < to; i++)
                    p[i] = distribution == RandomDistribution.Uniform
                        ? Philox.UniformDouble(offset + (ulong)i, seed, a, b)
                        : Philox.NormalDouble(offset + (ulong)i, seed, a, b);
            });
        }
        else
        {
            float* p = y.Ptr<float>();
            ParallelRange(count, (from, to) =>
            {
                for (long i = from; i < to; i++)
                    p[i] = distribution == RandomDistribution.Uniform
                        ? Philox.UniformFloat(offset + (ulong)i, seed, (float)a, (float)b)
                        : Philox.NormalFloat(offset + (ulong)i, seed, a, b);
            });
        }
    }

    /// <summary>Splits [0, count) into contiguous ranges over the threads, or runs inline when small.</summary>
    internal static void ParallelRange(long count, Action<long, long> body, long grain = StridedLoop.ParallelThreshold)
    {
        int chunks = ChunkCount(count, grain);
        if (chunks == 1)
        {
            body(0, count);
            return;
        }
        Parallel.For(0, chunks, c => body(count * c / chunks, count * (c + 1) / chunks));
    }

    /// <summary>Like <see cref="ParallelRange"/>, returning each range's result in range order, so that a caller
    /// combining partial sums gets the same bits on every run whatever the thread timing.</summary>
    internal static TResult[] ParallelPartials<TResult>(long count, Func<long, long, TResult> body, long grain = StridedLoop.ParallelThreshold)
    {
        int chunks = ChunkCount(count, grain);
        var results = new TResult[chunks];
        if (chunks == 1) results[0] = body(0, count);
        else Parallel.For(0, chunks, c => results[c] = body(count * c / chunks, count * (c + 1) / chunks));
        return results;
    }

    private static int ChunkCount(long count, long grain) => (int)Math.Clamp(count / Math.Max(grain, 1), 1, 4L * Environment.ProcessorCount);
}
