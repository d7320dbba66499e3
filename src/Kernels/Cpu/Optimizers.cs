using System.Numerics;

namespace NativeMtl.Kernels.Cpu;

/// <summary>Optimizer steps in place, one fused pass: each SIMD group of elements is loaded once, updated
/// through every stage of the rule and stored once. The arithmetic follows PyTorch's single-tensor
/// implementations in the same order (coefficients rounded to the element type, scalar bias corrections
/// in double), so Float32 results stay within rounding of torch.optim; they are not bit-identical, since
/// torch's vector paths fuse some multiply-adds.</summary>
public sealed unsafe partial class CpuBackend
{
    public void SgdStep(TensorRef param, TensorRef grad, TensorRef? momentumBuffer, SgdOptions options, bool firstStep)
    {
        bool momentum = options.Momentum != 0;
        if (momentum && momentumBuffer is null) throw new ArgumentException("SgdStep: momentum needs a momentum buffer");
        if (momentum) CheckOptimizerState("SgdStep", param, grad, momentumBuffer!.Value);
        else CheckOptimizerState("SgdStep", param, grad);
        if (IsDouble(param, "SgdStep"))
            OptimizerLoop<double, SgdLanes<double>>(param.Count, new(param.Ptr<double>(), grad.Ptr<double>(), momentum ? momentumBuffer!.Value.Ptr<double>() : null, options, firstStep));
        else
            OptimizerLoop<float, SgdLanes<float>>(param.Count, new(param.Ptr<float>(), grad.Ptr<float>(), momentum ? momentumBuffer!.Value.Ptr<float>() : null, options, firstStep));
    }

    public void AdamStep(TensorRef param, TensorRef grad, TensorRef m, TensorRef v, AdamOptions options, int step)
    {
        if (step < 1) throw new ArgumentOutOfRangeException(nameof(step), $"AdamStep: step counts from 1, got {step}");
        CheckOptimizerState("AdamStep", param, grad, m, v);
        if (IsDouble(param, "AdamStep"))
            OptimizerLoop<double, AdamLanes<double>>(param.Count, new(param.Ptr<double>(), grad.Ptr<double>(), m.Ptr<double>(), v.Ptr<double>(), options, step));
        else
            OptimizerLoop<float, AdamLanes<float>>(param.Count, new(param.Ptr<float>(), grad.Ptr<float>(), m.Ptr<float>(), v.Ptr<float>(), options, step));
    }

    private static void CheckOptimizerState(string op, TensorRef param, params ReadOnlySpan<TensorRef> others)
    {
        if (!param.IsContiguous) throw new ArgumentException($"{op}: parameter {param} must be contiguous");
        foreach (var t in others)
        {
            if (!t.Shape.AsSpan().SequenceEqual(param.Shape) || t.DType != param.DType)
                throw new ArgumentException($"{op}: {t} does not match parameter {param}");
            if (!t.IsContiguous) throw new ArgumentException($"{op}: {t} must be contiguous");
        }
    }

    /// <summary>Updates <paramref name="n"/> elements from element <paramref name="i"/> on; n is the vector
    /// width except at the end of a thread's range.</summary>
    private interface IOptimizerLanes
    {
        void Update(long i, int n);
    }

    private static void OptimizerLoop<T, TLanes>(long count, TLanes lanes) where T : unmanaged where TLanes : struct, IOptimizerLanes
    {
        int width = Vector<T>.Count;
        ParallelRange(count, (from, to) =>
        {
            long i = from;
            for (; i + width <= to; i += width) lanes.Update(i, width);
            if (i < to) lanes.Update(i, (int)(to - i));
        });
    }

    /// <summary>Loads n ≤ width elements; a partial group is zero-padded, which every rule here tolerates
    /// (the padding lanes are never stored).</summary>
    private static Vector<T> LoadLanes<T>(T* source, int n) where T : unmanaged
    {
        if (n == Vector<T>.Count) return Vector.Load(source);
        Span<T> lanes = stackalloc T[Vector<T>.Count];
        lanes.Clear();
        new ReadOnlySpan<T>(source, n).CopyTo(lanes);
        return new Vector<T>(lanes);
    }

    private static void StoreLanes<T>(Vector<T> value, T* destination, int n) where T : unmanaged
    {
        if (n == Vector<T>.Count)
        {
            value.Store(destination);
            return;
        }
        Span<T> lanes = stackalloc T[Vector<T>.Count];
        value.CopyTo(lanes);
        lanes[..n].CopyTo(new Span<T>(destination, n));
    }

    /// <summary>torch.optim.SGD: d = g + wd·p; with momentum, buf = d on the first step and
    /// momentum·buf + (1 − dampening)·d after, then d = buf (or d + momentum·buf for Nesterov); p −= lr·d.</summary>
    private readonly struct SgdLanes<T>(T* param, T* grad, T* buffer, SgdOptions o, bool firstStep) : IOptimizerLanes
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly Vector<T> _negLr = new(T.CreateTruncating(-o.LearningRate));
        private readonly Vector<T> _decay = new(T.CreateTruncating(o.WeightDecay));
        private readonly Vector<T> _momentum = new(T.CreateTruncating(o.Momentum));
        private readonly Vector<T> _keep = new(T.CreateTruncating(1 - o.Dampening));

        public void Update(long i, int n)
        {
            var p = LoadLanes(param + i, n);
            var d = LoadLanes(grad + i, n);
            if (o.WeightDecay != 0) d += _decay * p;
            if (buffer != null)
            {
                var buf = firstStep ? d : _momentum * LoadLanes(buffer + i, n) + _keep * d;
                StoreLanes(buf, buffer + i, n);
                d = o.Nesterov ? d + _momentum * buf : buf;
            }
            StoreLanes(p + _negLr * d, param + i, n);
        }
    }

    /// <summary>torch.optim.Adam (g += wd·p) or AdamW (p ·= 1 − lr·wd); m moves towards g by lerp, as torch
    /// computes it; v = β2·v + (1 − β2)·g²; p −= (lr/bc1)·m / (√v/√bc2 + eps).</summary>
    private readonly struct AdamLanes<T>(T* param, T* grad, T* m, T* v, AdamOptions o, int step) : IOptimizerLanes
        where T : unmanaged, IFloatingPointIeee754<T>
    {
        private readonly Vector<T> _decay = new(T.CreateTruncating(o.WeightDecay));
        private readonly Vector<T> _shrink = new(T.CreateTruncating(1 - o.LearningRate * o.WeightDecay));
        private readonly Vector<T> _mWeight = new(T.CreateTruncating(1 - o.Beta1));
        private readonly Vector<T> _mWeightComplement = new(T.One - T.CreateTruncating(1 - o.Beta1));
        // torch's lerp switches form at weight 0.5 so that the weight nearer its end point stays exact.
        private readonly bool _lerpFromM = 1 - o.Beta1 < 0.5;
        private readonly Vector<T> _beta2 = new(T.CreateTruncating(o.Beta2));
        private readonly Vector<T> _vWeight = new(T.CreateTruncating(1 - o.Beta2));
        private readonly Vector<T> _bc2Sqrt = new(T.CreateTruncating(Math.Sqrt(1 - Math.Pow(o.Beta2, step))));
        private readonly Vector<T> _eps = new(T.CreateTruncating(o.Epsilon));
        private readonly Vector<T> _negStepSize = new(T.CreateTruncating(-o.LearningRate / (1 - Math.Pow(o.Beta1, step))));

        public void Update(long i, int n)
        {
            var p = LoadLanes(param + i, n);
            var g = LoadLanes(grad + i, n);
            if (o.WeightDecay != 0)
            {
                if (o.Decoupled) p *= _shrink;
                else g += _decay * p;
            }
            var mi = LoadLanes(m + i, n);
            mi = _lerpFromM ? mi + _mWeight * (g - mi) : g - (g - mi) * _mWeightComplement;
            var vi = _beta2 * LoadLanes(v + i, n) + _vWeight * g * g;
            var denom = Vector.SquareRoot(vi) / _bc2Sqrt + _eps;
            StoreLanes(mi, m + i, n);
            StoreLanes(vi, v + i, n);
            StoreLanes(p + _negStepSize * mi / denom, param + i, n);
        }
    }
}
