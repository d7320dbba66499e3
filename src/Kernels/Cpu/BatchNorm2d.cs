using System.Numerics;
using System.Numerics.Tensors;
using System.Runtime.InteropServices;

namespace NativeMtl.Kernels.Cpu;

/// <summary>Batch norm over contiguous NCHW. The (n, c) planes run in parallel, each writing its partial sums
/// to its own slot; the slots of a channel are then added in a fixed order, so the statistics do not depend
/// on the thread count. Every element is added in double, as PyTorch's CPU batch norm does, in short vectorized
/// chunks; the variance is taken around the mean (two passes), never as E[x²] − E[x]².</summary>
public sealed unsafe partial class CpuBackend
{
    /// <summary>Elements widened to double at a time for the sums.</summary>
    private const int SumChunk = 1024;

    public void BatchNormTrainingForward(TensorRef x, TensorRef gamma, TensorRef beta, TensorRef runningMean,
        TensorRef runningVar, double momentum, double eps, TensorRef y, TensorRef saveMean, TensorRef saveInvStd)
    {
        if (IsDouble(x, "BatchNormTrainingForward"))
            BatchNormTraining<double>(x, gamma, beta, runningMean, runningVar, momentum, eps, y, saveMean, saveInvStd);
        else
            BatchNormTraining<float>(x, gamma, beta, runningMean, runningVar, momentum, eps, y, saveMean, saveInvStd);
    }

    public void BatchNormInferenceForward(TensorRef x, TensorRef gamma, TensorRef beta, TensorRef mean, TensorRef var,
        double eps, TensorRef y)
    {
        if (IsDouble(x, "BatchNormInferenceForward")) BatchNormInference<double>(x, gamma, beta, mean, var, eps, y);
        else BatchNormInference<float>(x, gamma, beta, mean, var, eps, y);
    }

    public void BatchNormBackward(TensorRef x, TensorRef gy, TensorRef gamma, TensorRef saveMean, TensorRef saveInvStd,
        TensorRef gx, TensorRef ggamma, TensorRef gbeta)
    {
        if (IsDouble(x, "BatchNormBackward")) BatchNormBackward<double>(x, gy, gamma, saveMean, saveInvStd, gx, ggamma, gbeta);
        else BatchNormBackward<float>(x, gy, gamma, saveMean, saveInvStd, gx, ggamma, gbeta);
    }

    private static void BatchNormTraining<T>(TensorRef x, TensorRef gamma, TensorRef beta, TensorRef runningMean,
        TensorRef runningVar, double momentum, double eps, TensorRef y, TensorRef saveMean, TensorRef saveInvStd)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (batch, channels, planeSize) = Planes(x);
        long count = (long)batch * planeSize;
        T* px = x.Ptr<T>();
        T* mean = saveMean.Ptr<T>(), invStd = saveInvStd.Ptr<T>();
        T* rm = runningMean.Ptr<T>(), rv = runningVar.Ptr<T>();

        var sums = PerPlane(batch * channels, planeSize, p => SumInDouble(new ReadOnlySpan<T>(px + p * planeSize, planeSize)));
        var means = new double[channels];
        for (int c = 0; c < channels; c++)
        {
            means[c] = ChannelTotal(sums, batch, channels, c) / count;
            mean[c] = T.CreateTruncating(means[c]);
        }

        var squares = PerPlane(batch * channels, planeSize, p =>
            SumSquaredDeviations(new ReadOnlySpan<T>(px + p * planeSize, planeSize), means[p % channels]));
        for (int c = 0; c < channels; c++)
        {
            double squared = ChannelTotal(squares, batch, channels, c);
            invStd[c] = T.CreateTruncating(1 / Math.Sqrt(squared / count + eps));
            rm[c] = T.CreateTruncating((1 - momentum) * double.CreateTruncating(rm[c]) + momentum * means[c]);
            rv[c] = T.CreateTruncating((1 - momentum) * double.CreateTruncating(rv[c]) + momentum * squared / (count - 1));
        }

        Normalize(x, gamma, beta, mean, invStd, y);
    }

    private static void BatchNormInference<T>(TensorRef x, TensorRef gamma, TensorRef beta, TensorRef mean, TensorRef var,
        double eps, TensorRef y) where T : unmanaged, IFloatingPointIeee754<T>
    {
        int channels = x.Shape[1];
        T* pv = var.Ptr<T>();
        var invStd = new T[channels];
        for (int c = 0; c < channels; c++) invStd[c] = T.CreateTruncating(1 / Math.Sqrt(double.CreateTruncating(pv[c]) + eps));
        fixed (T* pInvStd = invStd) Normalize(x, gamma, beta, mean.Ptr<T>(), pInvStd, y);
    }

    /// <summary>y = (x − mean)·(gamma·invStd) + beta per plane. Subtracting the mean first keeps Float32 accurate
    /// when the mean is large next to the spread, where x·scale + (beta − mean·scale) would cancel.</summary>
    private static void Normalize<T>(TensorRef x, TensorRef gamma, TensorRef beta, T* mean, T* invStd, TensorRef y)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (batch, channels, planeSize) = Planes(x);
        T* px = x.Ptr<T>(), py = y.Ptr<T>(), pg = gamma.Ptr<T>(), pb = beta.Ptr<T>();
        ParallelRange((long)batch * channels, (from, to) =>
        {
            for (long p = from; p < to; p++)
            {
                int c = (int)(p % channels);
                var source = new ReadOnlySpan<T>(px + p * planeSize, planeSize);
                var target = new Span<T>(py + p * planeSize, planeSize);
                TensorPrimitives.Subtract(source, mean[c], target);
                TensorPrimitives.Multiply(target, pg[c] * invStd[c], target);
                TensorPrimitives.Add(target, pb[c], target);
            }
        }, PlaneGrain(planeSize));
    }

    private static void BatchNormBackward<T>(TensorRef x, TensorRef gy, TensorRef gamma, TensorRef saveMean,
        TensorRef saveInvStd, TensorRef gx, TensorRef ggamma, TensorRef gbeta) where T : unmanaged, IFloatingPointIeee754<T>
    {
        var (batch, channels, planeSize) = Planes(x);
        long count = (long)batch * planeSize;
        int planes = batch * channels;
        T* px = x.Ptr<T>(), pgy = gy.Ptr<T>(), pgx = gx.Ptr<T>();
        T* pg = gamma.Ptr<T>(), mean = saveMean.Ptr<T>(), invStd = saveInvStd.Ptr<T>();
        T* pgg = ggamma.Ptr<T>(), pgb = gbeta.Ptr<T>();

        var gySums = PerPlane(planes, planeSize, p => SumInDouble(new ReadOnlySpan<T>(pgy + p * planeSize, planeSize)));
        var gyDeviationDots = PerPlane(planes, planeSize, p => DotWithDeviations(
            new ReadOnlySpan<T>(pgy + p * planeSize, planeSize), new ReadOnlySpan<T>(px + p * planeSize, planeSize), double.CreateTruncating(mean[p % channels])));

        // gx = a·gy + b·(x − mean) + shift, the standard formula with the channel sums folded into coefficients.
        var a = new T[channels];
        var b = new T[channels];
        var shift = new T[channels];
        for (int c = 0; c < channels; c++)
        {
            double s = double.CreateTruncating(invStd[c]);
            double sumGy = ChannelTotal(gySums, batch, channels, c);
            double sumGyXhat = ChannelTotal(gyDeviationDots, batch, channels, c) * s;
            double scale = double.CreateTruncating(pg[c]) * s;
            pgb[c] = T.CreateTruncating(sumGy);
            pgg[c] = T.CreateTruncating(sumGyXhat);
            a[c] = T.CreateTruncating(scale);
            b[c] = T.CreateTruncating(-scale * s * sumGyXhat / count);
            shift[c] = T.CreateTruncating(-scale * sumGy / count);
        }

        ParallelRange(planes, (from, to) =>
        {
            for (long p = from; p < to; p++)
            {
                int c = (int)(p % channels);
                var target = new Span<T>(pgx + p * planeSize, planeSize);
                TensorPrimitives.Subtract(new ReadOnlySpan<T>(px + p * planeSize, planeSize), mean[c], target);
                TensorPrimitives.Multiply(target, b[c], target);
                TensorPrimitives.Add(target, shift[c], target);
                TensorPrimitives.MultiplyAdd(new ReadOnlySpan<T>(pgy + p * planeSize, planeSize), a[c], target, target);
            }
        }, PlaneGrain(planeSize));
    }

    /// <summary>Batch size, channels and elements per (n, c) plane of NCHW x.</summary>
    private static (int Batch, int Channels, int PlaneSize) Planes(TensorRef x) =>
        (x.Shape[0], x.Shape[1], checked(x.Shape[2] * x.Shape[3]));

    /// <summary>Planes per thread chunk so that a chunk is worth a thread.</summary>
    private static long PlaneGrain(long planeSize) => Math.Max(1, StridedLoop.ParallelThreshold / Math.Max(planeSize, 1));

    /// <summary>f(plane) for every plane index, computed in parallel.</summary>
    private static double[] PerPlane(int planes, int planeSize, Func<long, double> f)
    {
        var result = new double[planes];
        ParallelRange(planes, (from, to) =>
        {
            for (long p = from; p < to; p++) result[p] = f(p);
        }, PlaneGrain(planeSize));
        return result;
    }

    /// <summary>Sum of the per-plane values of one channel, in batch order.</summary>
    private static double ChannelTotal(double[] perPlane, int batch, int channels, int c)
    {
        double total = 0;
        for (int n = 0; n < batch; n++) total += perPlane[n * channels + c];
        return total;
    }

    /// <summary>Σ values, each converted to double before it is added, as PyTorch's CPU batch norm does (its acc_type
    /// of float is double): a Float32 partial sum would drop the low bits of values far from 0.</summary>
    private static double SumInDouble<T>(ReadOnlySpan<T> values) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<double> wide = stackalloc double[SumChunk];
        double total = 0;
        for (int i = 0; i < values.Length; i += SumChunk)
            total += TensorPrimitives.Sum(Widen(values.Slice(i, Math.Min(SumChunk, values.Length - i)), wide));
        return total;
    }

    /// <summary>Σ (x − mean)², in double.</summary>
    private static double SumSquaredDeviations<T>(ReadOnlySpan<T> values, double mean) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<double> wide = stackalloc double[SumChunk], deviations = stackalloc double[SumChunk];
        double total = 0;
        for (int i = 0; i < values.Length; i += SumChunk)
        {
            int n = Math.Min(SumChunk, values.Length - i);
            TensorPrimitives.Subtract(Widen(values.Slice(i, n), wide), mean, deviations[..n]);
            total += TensorPrimitives.SumOfSquares<double>(deviations[..n]);
        }
        return total;
    }

    /// <summary>Σ g·(x − mean), in double.</summary>
    private static double DotWithDeviations<T>(ReadOnlySpan<T> g, ReadOnlySpan<T> x, double mean) where T : unmanaged, IFloatingPointIeee754<T>
    {
        Span<double> wide = stackalloc double[SumChunk], deviations = stackalloc double[SumChunk];
        double total = 0;
        for (int i = 0; i < x.Length; i += SumChunk)
        {
            int n = Math.Min(SumChunk, x.Length - i);
            TensorPrimitives.Subtract(Widen(x.Slice(i, n), wide), mean, deviations[..n]);
            total += TensorPrimitives.Dot<double>(Widen(g.Slice(i, n), wide), deviations[..n]);
        }
        return total;
    }

    /// <summary>The values as doubles: themselves when they are, else converted into <paramref name="buffer"/>.</summary>
    private static ReadOnlySpan<double> Widen<T>(ReadOnlySpan<T> values, Span<double> buffer) where T : unmanaged, IFloatingPointIeee754<T>
    {
        if (typeof(T) == typeof(double)) return MemoryMarshal.Cast<T, double>(values);
        var wide = buffer[..values.Length];
        TensorPrimitives.ConvertTruncating(MemoryMarshal.Cast<T, float>(values), wide);
        return wide;
    }
}
