using System.Numerics;
using System.Runtime.InteropServices;

namespace NativeMtl.Kernels.Cpu;

/// <summary>Negative log-likelihood per position. Log-probabilities [N, C, *] are seen as [N, C, inner]
/// and targets [N, *] as [N, inner]; work is split over positions, so each thread walks dense runs of
/// positions inside one sample and touches only the class rows those positions select.</summary>
public sealed unsafe partial class CpuBackend
{
    public void NllLoss(TensorRef logProbs, TensorRef target, int ignoreIndex, TensorRef loss, TensorRef valid)
    {
        var l = NllLayout.Of("NllLoss", logProbs, target, loss, valid);
        long bad = IsDouble(logProbs, "NllLoss")
            ? NllForward(logProbs.Ptr<double>(), target.Ptr<int>(), ignoreIndex, loss.Ptr<double>(), valid.Ptr<double>(), l)
            : NllForward(logProbs.Ptr<float>(), target.Ptr<int>(), ignoreIndex, loss.Ptr<float>(), valid.Ptr<float>(), l);
        if (bad >= 0) throw NllTargetOutOfRange("NllLoss", target, bad, ignoreIndex, l.Classes);
    }

    public void NllLossBackward(TensorRef gLoss, TensorRef target, int ignoreIndex, TensorRef gLogProbs)
    {
        var l = NllLayout.Of("NllLossBackward", gLogProbs, target, gLoss, gLoss);
        long bad = IsDouble(gLogProbs, "NllLossBackward")
            ? NllBackward(gLoss.Ptr<double>(), target.Ptr<int>(), ignoreIndex, gLogProbs.Ptr<double>(), l)
            : NllBackward(gLoss.Ptr<float>(), target.Ptr<int>(), ignoreIndex, gLogProbs.Ptr<float>(), l);
        if (bad >= 0) throw NllTargetOutOfRange("NllLossBackward", target, bad, ignoreIndex, l.Classes);
    }

    /// <summary>Returns the first position whose target is out of range, or −1. Errors are collected rather
    /// than thrown inside the parallel loop so that the caller sees an ArgumentException, not an AggregateException.</summary>
    private static long NllForward<T>(T* logProbs, int* target, int ignoreIndex, T* loss, T* valid, NllLayout l)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var firstBad = new NllFirstBad();
        int classes = l.Classes;
        l.ForEachSegment((sampleBase, position, count) =>
        {
            for (long q = position; q < position + count; q++)
            {
                int t = target[q];
                bool counts = t != ignoreIndex && (uint)t < (uint)classes;
                if (!counts && t != ignoreIndex) firstBad.Offer(q);
                loss[q] = counts ? -logProbs[sampleBase + t * l.Inner + (q - position)] : T.Zero;
                valid[q] = counts ? T.One : T.Zero;
            }
        });
        return firstBad.Position;
    }

    private static long NllBackward<T>(T* gLoss, int* target, int ignoreIndex, T* gLogProbs, NllLayout l)
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        var firstBad = new NllFirstBad();
        int classes = l.Classes;
        l.ForEachSegment((sampleBase, position, count) =>
        {
            for (int c = 0; c < classes; c++)
                NativeMemory.Clear(gLogProbs + sampleBase + c * l.Inner, (nuint)(count * sizeof(T)));
            for (long q = position; q < position + count; q++)
            {
                int t = target[q];
                if (t == ignoreIndex) continue;
                if ((uint)t >= (uint)classes)
                {
                    firstBad.Offer(q);
                    continue;
                }
                gLogProbs[sampleBase + t * l.Inner + (q - position)] = -gLoss[q];
            }
        });
        return firstBad.Position;
    }

    private static ArgumentException NllTargetOutOfRange(string op, TensorRef target, long position, int ignoreIndex, int classes)
    {
        int value = target.Ptr<int>()[position];
        var index = new long[target.Rank];
        for (int a = target.Rank - 1; a >= 0; a--)
        {
            index[a] = position % target.Shape[a];
            position /= target.Shape[a];
        }
        return new ArgumentException(
            $"{op}: target {value} at position [{string.Join(", ", index)}] is outside [0, {classes}) and is not the ignore index {ignoreIndex} " +
            "(the CPU backend checks every target; other devices may not)");
    }

    /// <summary>The smallest offending position offered by any thread, so the error names the first one in order.</summary>
    private sealed class NllFirstBad
    {
        private long _position = long.MaxValue;

        public long Position => _position == long.MaxValue ? -1 : _position;

        public void Offer(long position)
        {
            long seen = Volatile.Read(ref _position);
            while (position < seen)
            {
                long previous = Interlocked.CompareExchange(ref _position, position, seen);
                if (previous == seen) return;
                seen = previous;
            }
        }
    }

    private readonly record struct NllLayout(long Samples, int Classes, long Inner)
    {
        /// <summary>Checks scores [N, C, *] against targets [N, *] and two outputs shaped like the targets.</summary>
        public static NllLayout Of(string op, TensorRef scores, TensorRef target, TensorRef out1, TensorRef out2)
        {
            if (target.DType != DType.Int32) throw new ArgumentException($"{op}: targets must be Int32, not {target}");
            if (scores.Rank < 2 || target.Rank != scores.Rank - 1 || target.Shape[0] != scores.Shape[0]
                || !target.Shape.AsSpan(1).SequenceEqual(scores.Shape.AsSpan(2)))
                throw new ArgumentException($"{op}: targets {target} do not match scores {scores} (expected [N, C, *] and [N, *])");
            foreach (var t in (ReadOnlySpan<TensorRef>)[out1, out2])
            {
                if (!t.Shape.AsSpan().SequenceEqual(target.Shape)) throw new ArgumentException($"{op}: {t} differs in shape from targets {target}");
                if (t.DType != scores.DType) throw new ArgumentException($"{op}: {t} differs in dtype from {scores}");
            }
            foreach (var t in (ReadOnlySpan<TensorRef>)[scores, target, out1, out2])
                if (!t.IsContiguous) throw new ArgumentException($"{op}: {t} must be contiguous");
            long inner = 1;
            for (int a = 2; a < scores.Rank; a++) inner *= scores.Shape[a];
            return new NllLayout(scores.Shape[0], scores.Shape[1], inner);
        }

        /// <summary>Runs <paramref name="segment"/>(element offset of the segment's first position in the scores,
        /// first position, count) over runs of positions that stay inside one sample.</summary>
        public void ForEachSegment(Action<long, long, long> segment)
        {
            long inner = Inner, sampleLength = Classes * Inner;
            long grain = Math.Max(1, StridedLoop.ParallelThreshold / Math.Max(1, Classes));
            ParallelRange(Samples * inner, (from, to) =>
            {
                for (long p = from; p < to;)
                {
                    long n = p / inner, i = p % inner;
                    long end = Math.Min(to, (n + 1) * inner);
                    segment(n * sampleLength + i, p, end - p);
                    p = end;
                }
            }, grain);
        }
    }
}
