namespace NativeMtl.Kernels;

/// <summary>
/// The compute contract every device implements. It is shaped for an asynchronous device: an op
/// enqueues work that writes into outputs the caller allocated, and returns at once. Nothing here
/// returns a value computed on the device; only <see cref="CopyToHost"/> reads back, and it waits.
/// Shape rules, broadcasting and allocation live above this layer, so each op can trust its arguments:
/// elementwise inputs arrive already broadcast to the output's shape (zero strides), and ops that
/// say "contiguous" receive contiguous row-major tensors.
/// </summary>
public interface IBackend
{
    Device Device { get; }

    /// <summary>A new buffer of the given size; its contents are undefined.</summary>
    DeviceBuffer Allocate(long byteLength);

    void CopyFromHost(ReadOnlySpan<byte> source, DeviceBuffer destination, long destinationByteOffset);

    /// <summary>Waits for all queued work, then copies bytes to the host.</summary>
    void CopyToHost(DeviceBuffer source, long sourceByteOffset, Span<byte> destination);

    /// <summary>Waits for all queued work.</summary>
    void Synchronize();

    /// <summary>y = x for tensors of equal shape and any strides; converts between dtypes.</summary>
    void Copy(TensorRef x, TensorRef y);

    void Fill(TensorRef y, double value);

    /// <summary>y[i] = start + i·step over a contiguous y.</summary>
    void Arange(TensorRef y, double start, double step);

    /// <summary>Fills a contiguous y from the Philox4x32-10 stream of <paramref name="seed"/>:
    /// element i draws from counter <c>offset + i</c> (see <c>Philox</c>), so every device that
    /// implements this gives the same numbers.</summary>
    void Random(TensorRef y, RandomDistribution distribution, ulong seed, ulong offset, double a, double b);

    void Unary(UnaryOp op, TensorRef x, TensorRef y);

    void Scalar(ScalarOp op, TensorRef x, double a, double b, TensorRef y);

    void Binary(BinaryOp op, TensorRef a, TensorRef b, TensorRef y);

    /// <summary>y = condition ≠ 0 ? a : b.</summary>
    void Where(TensorRef condition, TensorRef a, TensorRef b, TensorRef y);

    /// <summary>y has x's rank; every axis where y has size 1 and x does not is reduced.</summary>
    void Reduce(ReduceOp op, TensorRef x, TensorRef y);

    /// <summary>Index of the first maximum along <paramref name="axis"/>; y is Int32 with size 1 on that axis.</summary>
    void ArgMax(TensorRef x, int axis, TensorRef y);

    /// <summary>c[i] = alpha·a[i]·b[i] + beta·c[i] for rank-3 a [B,M,K], b [B,K,N], c [B,M,N].
    /// Each matrix of a and b has unit stride along one of its two axes (a transposed view is fine);
    /// a batch stride of zero repeats a matrix; c is contiguous.</summary>
    void Gemm(TensorRef a, TensorRef b, TensorRef c, double alpha, double beta);

    /// <summary>y = conv(x, w) + bias over contiguous NCHW x, KCRS w ([K, C/groups, R, S]) and NKPQ y.</summary>
    void Conv2dForward(TensorRef x, TensorRef w, TensorRef? bias, TensorRef y, Conv2dGeometry geometry);

    /// <summary>gx = ∂(Σ gy·conv(x, w))/∂x, overwriting gx.</summary>
    void Conv2dBackwardData(TensorRef gy, TensorRef w, TensorRef gx, Conv2dGeometry geometry);

    /// <summary>gw = ∂(Σ gy·conv(x, w))/∂w, overwriting gw.</summary>
    void Conv2dBackwardFilter(TensorRef x, TensorRef gy, TensorRef gw, Conv2dGeometry geometry);

    /// <summary>Normalizes contiguous NCHW x with the batch statistics per channel, writes the batch mean and
    /// 1/√(var + eps) for the backward pass, and moves the running statistics towards the batch's:
    /// running = (1 − momentum)·running + momentum·batch, with the unbiased variance (PyTorch's rule).</summary>
    void BatchNormTrainingForward(TensorRef x, TensorRef gamma, TensorRef beta, TensorRef runningMean,
        TensorRef runningVar, double momentum, double eps, TensorRef y, TensorRef saveMean, TensorRef saveInvStd);

    void BatchNormInferenceForward(TensorRef x, TensorRef gamma, TensorRef beta, TensorRef mean, TensorRef var,
        double eps, TensorRef y);

    /// <summary>Gradients of the training-mode forward pass, overwriting gx, ggamma and gbeta.</summary>
    void BatchNormBackward(TensorRef x, TensorRef gy, TensorRef gamma, TensorRef saveMean, TensorRef saveInvStd,
        TensorRef gx, TensorRef ggamma, TensorRef gbeta);

    /// <summary>Max pooling over contiguous NCHW; padding counts as −∞.</summary>
    void MaxPool2dForward(TensorRef x, TensorRef y, Pool2dGeometry geometry);

    /// <summary>Routes each gy to the first position of its window's maximum, overwriting gx.</summary>
    void MaxPool2dBackward(TensorRef x, TensorRef y, TensorRef gy, TensorRef gx, Pool2dGeometry geometry);

    /// <summary>Forward mode: each window's value of the tangent tx at the first position of x's maximum there.</summary>
    void MaxPool2dJvp(TensorRef x, TensorRef tx, TensorRef ty, Pool2dGeometry geometry);

    void AvgPool2dForward(TensorRef x, TensorRef y, Pool2dGeometry geometry);

    /// <summary>sums[c] = Σ values[i] over the positions whose Int32 label is c (labels outside [0, C) count for no
    /// class); all contiguous, values and labels of one size.</summary>
    void ClassSum(TensorRef values, TensorRef labels, TensorRef sums);

    /// <summary>y[i] = g[labels[i]] (0 where the label is outside [0, C)): the transpose of <see cref="ClassSum"/>.</summary>
    void ClassGather(TensorRef g, TensorRef labels, TensorRef y);

    void AvgPool2dBackward(TensorRef gy, TensorRef gx, Pool2dGeometry geometry);

    /// <summary>GradDrop (kernels/graddrop.cu): from K per-task gradients g [K, N, F] at the feature x [N, F], y [N, F] =
    /// Σ_k g_k·(leak + (1 − leak)·M_k) with each position's sign mask M drawn from Philox counter offset + f under seed;
    /// all contiguous, K ≤ 16.</summary>
    void GradDrop(TensorRef g, TensorRef x, ulong seed, ulong offset, double leak, TensorRef y);

    /// <summary>Bilinear resize of contiguous NCHW to y's size, PyTorch's align_corners=false.</summary>
    void UpsampleBilinear2dForward(TensorRef x, TensorRef y);

    void UpsampleBilinear2dBackward(TensorRef gy, TensorRef gx);

    /// <summary>Deformable convolution's columns (kernels/deform_conv.cu): for contiguous x [N, C, H, W] and offsets
    /// [N, 2K, P, Q] (torchvision's layout: channel 2k the y and 2k + 1 the x offset of tap k = i·KernelW + j), columns
    /// [N, C·K, P·Q] holds at row c·K + k, column p·Q + q, x[n, c] sampled bilinearly at (p·StrideH − PadH + i·DilationH
    /// + Δy, q·StrideW − PadW + j·DilationW + Δx), a corner outside the image counting as 0.</summary>
    void DeformIm2Col(TensorRef x, TensorRef offset, TensorRef columns, DeformWindow window);

    /// <summary>gx = ∂(Σ gColumns·columns)/∂x, overwriting gx: each column gradient goes to its sample's four corners.</summary>
    void DeformIm2ColBackwardData(TensorRef gColumns, TensorRef offset, TensorRef gx, DeformWindow window);

    /// <summary>gOffset = ∂(Σ gColumns·columns)/∂offset, overwriting gOffset [N, 2K, P, Q]: per sample, tap and position,
    /// the column gradients dotted over the channels with the sample's derivatives along y and x.</summary>
    void DeformIm2ColBackwardOffset(TensorRef gColumns, TensorRef x, TensorRef offset, TensorRef gOffset, DeformWindow window);

    /// <summary>Forward mode: the columns' tangent along the offsets' tangent tOffset (x held fixed), overwriting tColumns.</summary>
    void DeformIm2ColJvpOffset(TensorRef x, TensorRef offset, TensorRef tOffset, TensorRef tColumns, DeformWindow window);

    /// <summary>Softmax (or log-softmax) of contiguous x along <paramref name="axis"/>.</summary>
    void Softmax(TensorRef x, int axis, bool log, TensorRef y);

    /// <summary>Gradient of <see cref="Softmax"/> given its output y, overwriting gx.</summary>
    void SoftmaxBackward(TensorRef y, TensorRef gy, int axis, bool log, TensorRef gx);

    /// <summary>For contiguous log-probabilities [N, C, *] and Int32 targets [N, *]:
    /// loss = −logProbs[target] and valid = 1, or both 0 where target equals ignoreIndex.
    /// A target outside [0, C) that is not ignored is a caller error.</summary>
    void NllLoss(TensorRef logProbs, TensorRef target, int ignoreIndex, TensorRef loss, TensorRef valid);

    /// <summary>gLogProbs = −gLoss at each valid target position, 0 elsewhere.</summary>
    void NllLossBackward(TensorRef gLoss, TensorRef target, int ignoreIndex, TensorRef gLogProbs);

    /// <summary>One torch.optim.SGD step over contiguous param, grad and (with momentum) momentum buffer.</summary>
    void SgdStep(TensorRef param, TensorRef grad, TensorRef? momentumBuffer, SgdOptions options, bool firstStep);

    /// <summary>One torch.optim.Adam/AdamW step; <paramref name="step"/> counts from 1.</summary>
    void AdamStep(TensorRef param, TensorRef grad, TensorRef m, TensorRef v, AdamOptions options, int step);

    /// <summary>gram[i, j] = ⟨g[i], g[j]⟩ for a contiguous K×P matrix of per-task gradients (K small, P large):
    /// every inner product, squared norms on the diagonal, in one pass over g. gram is K×K.</summary>
    void GradientGram(TensorRef g, TensorRef gram);

    /// <summary>y[p] = Σ_k c[k]·g[k, p] for contiguous g [K, P] and device coefficients c [K]: rescaling and
    /// weighted combination of per-task gradients in one pass over g.</summary>
    void GradientCombine(TensorRef g, TensorRef coefficients, TensorRef y);

    /// <summary>Masked L1 loss and its gradient in one kernel, over contiguous pred, target and mask of one shape:
    /// loss (a scalar) = Σ mask·|pred − target| / max(Σ mask, 1), and gradient = mask·sign(pred − target) / max(Σ mask, 1),
    /// the derivative of loss with respect to pred (0 where pred equals target).</summary>
    void MaskedL1(TensorRef pred, TensorRef target, TensorRef mask, TensorRef loss, TensorRef gradient);
}
