namespace NativeMtl.Kernels.Cuda;

/// <summary>Negative log-likelihood (kernels/nll.cu). Targets out of range are found by the kernels and reported
/// at the next synchronization (see <see cref="CheckDeviceErrors"/>), since a kernel cannot throw.</summary>
public sealed partial class CudaBackend
{
    public void NllLoss(TensorRef logProbs, TensorRef target, int ignoreIndex, TensorRef loss, TensorRef valid)
    {
        string suffix = FloatSuffix(logProbs, "NllLoss");
        var (samples, classes, inner) = NllLayout("NllLoss", logProbs, target, loss, valid);
        long positions = samples * inner;
        if (positions == 0) return;
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add(positions);
        args.Add(classes);
        args.Add(inner);
        args.Add(ignoreIndex);
        args.Add(Address(logProbs, "NllLoss"));
        args.Add(Address(target, "NllLoss"));
        args.Add(Address(loss, "NllLoss"));
        args.Add(Address(valid, "NllLoss"));
        args.Add(_badTarget);
        Launch($"nll_forward_{suffix}", PerElement(positions), args, "NllLoss", [logProbs, target, loss, valid]);
        _pendingNll ??= ("NllLoss", classes, ignoreIndex);
    }

    public void NllLossBackward(TensorRef gLoss, TensorRef target, int ignoreIndex, TensorRef gLogProbs)
    {
        string suffix = FloatSuffix(gLogProbs, "NllLossBackward");
        var (samples, classes, inner) = NllLayout("NllLossBackward", gLogProbs, target, gLoss, gLoss);
        long total = samples * classes * inner;
        if (total == 0) return;
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add(total);
        args.Add(classes);
        args.Add(inner);
        args.Add(ignoreIndex);
        args.Add(Address(gLoss, "NllLossBackward"));
        args.Add(Address(target, "NllLossBackward"));
        args.Add(Address(gLogProbs, "NllLossBackward"));
        args.Add(_badTarget);
        Launch($"nll_backward_{suffix}", PerElement(total), args, "NllLossBackward", [gLoss, target, gLogProbs]);
        _pendingNll ??= ("NllLossBackward", classes, ignoreIndex);
    }

    /// <summary>Checks scores [N, C, *] against targets [N, *] and two outputs shaped like the targets.</summary>
    private static (long Samples, int Classes, long Inner) NllLayout(string op, TensorRef scores, TensorRef target, TensorRef out1, TensorRef out2)
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
        RequireContiguous(op, scores, target, out1, out2);
        long inner = 1;
        for (int a = 2; a < scores.Rank; a++) inner *= scores.Shape[a];
        return (scores.Shape[0], scores.Shape[1], inner);
    }
}
