using NativeMtl.Kernels;
using NativeMtl.Models;
using NativeMtl.Raw;
using NativeMtl.Tests.TensorLayer;

namespace NativeMtl.Tests.AutogradLayer;

/// <summary>
/// DESIGN §12's memory policy, each point read off the live-byte counters: a node saves only what its rule reads,
/// saved tensors and intermediate gradients go the moment they are consumed, leaf gradients land where they belong
/// without a second set, and a graph nobody can reach any more frees itself. Tensors are Float32, 4 bytes an element.
/// </summary>
[Collection(nameof(MemoryCounterCollection))]
public class MemoryPolicyTests
{
    private const int N = 1000;
    private const long Bytes = 4 * N;

    private static NativeMtl.Tensor Random(Shape shape, int seed, bool requiresGrad = false)
    {
        var x = Tensors.Normal(shape, new Generator((ulong)seed));
        x.RequiresGrad = requiresGrad;
        return x;
    }

    private static NativeMtl.Tensor Leaf(int seed = 1) => Random(new Shape(N), seed, requiresGrad: true);

    [Fact]
    public void ReluSavesItsOutputSoItsInputGoesWithItsHandle()
    {
        using var scope = DisposeScope.Enter();
        var a = F.MulAdd(Leaf(), 2);
        long withInput = MemoryCounters.LiveBytes;
        var y = F.Relu(a);
        a.Dispose();
        // y took a's place: a was freed, and the node holds y, which is alive anyway.
        Assert.Equal(withInput, MemoryCounters.LiveBytes);
        Assert.Equal(Bytes, MemoryCounters.Breakdown.SavedByOp["Relu"]);
        GC.KeepAlive(y);
    }

    [Fact]
    public void Conv2dSavesItsInputOnlyWhenTheWeightsNeedAGradient()
    {
        using var scope = DisposeScope.Enter();
        var x = Random(new Shape(1, 2, 10, 10), 1, requiresGrad: true); // 800 bytes
        var w = Random(new Shape(3, 2, 3, 3), 2);                      // 216 bytes
        var a = F.MulAdd(x, 1);
        long before = MemoryCounters.LiveBytes;
        var y = F.Conv2d(a, w);                                          // 768 bytes
        a.Dispose();
        Assert.Equal(before - 800 + 768, MemoryCounters.LiveBytes);
        Assert.Equal(216, MemoryCounters.Breakdown.SavedByOp["Conv2d"]);

        w.RequiresGrad = true;
        var b = F.MulAdd(x, 1);
        var z = F.Conv2d(b, w);
        b.Dispose();
        // Now the weights need a gradient, which reads the input: it stays (w is counted once, held by both nodes).
        Assert.Equal(216 + 800, MemoryCounters.Breakdown.SavedByOp["Conv2d"]);
        GC.KeepAlive(y);
        GC.KeepAlive(z);
    }

    [Fact]
    public void BatchNormSavesItsInputAndStatisticsNeverItsOutput()
    {
        using var scope = DisposeScope.Enter();
        var x = Random(new Shape(2, 3, 4, 5), 1, requiresGrad: true); // 480 bytes
        var gamma = Tensors.Ones(new Shape(3));
        var beta = Tensors.Zeros(new Shape(3));
        gamma.RequiresGrad = beta.RequiresGrad = true;
        using var mean = Tensors.Zeros(new Shape(3));
        using var variance = Tensors.Ones(new Shape(3));
        var a = F.MulAdd(x, 1);
        var y = F.BatchNorm2d(a, gamma, beta, mean, variance, training: true);
        var z = F.MulAdd(y, 1);
        long withOutput = MemoryCounters.LiveBytes;
        a.Dispose();
        y.Dispose();
        // a stays (saved); y goes: the next op, a scaling, saves nothing.
        Assert.Equal(withOutput - 480, MemoryCounters.LiveBytes);
        Assert.Equal(480 + 12 + 12 + 12, MemoryCounters.Breakdown.SavedByOp["BatchNorm2d"]);
        GC.KeepAlive(z);
    }

    [Fact]
    public void DropoutSavesNoMaskAndItsRuleDrawsTheSameOneAgain()
    {
        using var scope = DisposeScope.Enter();
        var x = F.MulAdd(Random(new Shape(N), 3, requiresGrad: true), 0.1, 3); // all far from 0
        var y = F.Dropout(x, 0.25, new Generator(9));
        Assert.Equal(0, MemoryCounters.Breakdown.Saved);
        var gx = Autograd.Grad([F.Sum(y)], [x])[0].ToArray<float>();
        var ratio = y.ToArray<float>().Zip(x.ToArray<float>(), (a, b) => a / b).ToArray();
        // ∂Σy/∂x is the mask over 1 − p, and y = x·mask/(1 − p): the two draws agree element by element.
        for (int i = 0; i < N; i++) Assert.Equal(ratio[i], gx[i], 5);
        Assert.Contains(gx, g => g == 0);
        Assert.Contains(gx, g => Math.Abs(g - 1 / 0.75) < 1e-6);
    }

    [Fact]
    public void AGraphNobodyCanReachFreesWhatItSaved()
    {
        using var scope = DisposeScope.Enter();
        var x = Leaf();
        long start = MemoryCounters.LiveBytes;
        var h = x;
        var handles = new List<NativeMtl.Tensor>();
        for (int i = 0; i < 6; i++)
        {
            handles.Add(h = F.MulAdd(h, 0.1));
            handles.Add(h = F.Exp(h));
        }
        Assert.Equal(6 * Bytes, MemoryCounters.Breakdown.SavedByOp["Exp"]);
        foreach (var t in handles) t.Dispose();
        // No handle reaches the graph any more: its nodes went, and with them what they saved.
        Assert.Equal(0, MemoryCounters.Breakdown.Saved);
        Assert.Equal(start, MemoryCounters.LiveBytes);
    }

    [Fact]
    public void BackwardFreesEachSavedTensorAndEachGradientAsSoonAsItIsUsed()
    {
        using var scope = DisposeScope.Enter();
        var x = Leaf();
        long start = MemoryCounters.LiveBytes;
        var h = x;
        for (int i = 0; i < 8; i++)
        {
            var scaled = F.MulAdd(h, 0.1);
            if (!ReferenceEquals(h, x)) h.Dispose();
            h = F.Exp(scaled);
            scaled.Dispose();
        }
        var loss = F.Sum(h);
        h.Dispose();
        Assert.Equal(start + 8 * Bytes + 4, MemoryCounters.LiveBytes);
        MemoryCounters.ResetPeaks();
        loss.Backward();
        // Held at once: the saved tensors not yet passed, the gradient arriving and the one leaving (plus scalars).
        Assert.True(MemoryCounters.PeakBytes - start <= 8 * Bytes + 2 * Bytes + 64, $"peak {MemoryCounters.PeakBytes - start} bytes over the start");
        // Afterwards only x, its gradient and the loss remain.
        Assert.Equal(start + Bytes + 4, MemoryCounters.LiveBytes);
    }

    [Fact]
    public void LeafGradientsLandInTheirArenaAsTheyArriveWithoutASecondSet()
    {
        using var scope = DisposeScope.Enter();
        using var module = new ScaleChain(8);
        using var group = new ParameterGroup("chain", module.NamedParameters());
        // loss = Σ_k Σ_i p_k[i]·c[i]: each parameter's gradient is c, and backward frees nothing the graph saved
        // (c is the only saved tensor, and the caller holds it), so a held-back gradient would show in full.
        var c = Random(new Shape(N), 4);
        var loss = module.Scales.Select(p => F.Sum(F.Mul(p.Value, c))).Aggregate(F.Add);
        long start = MemoryCounters.LiveBytes;
        MemoryCounters.ResetPeaks();
        loss.Backward();
        Assert.True(MemoryCounters.PeakBytes - start <= Bytes + 64, $"peak {MemoryCounters.PeakBytes - start} bytes over the start");
        var expected = c.ToArray<float>();
        foreach (var p in module.Scales) Assert.Equal(expected, p.Value.Grad!.ToArray<float>());
    }

    /// <summary>Eight [N] scales, each a parameter.</summary>
    private sealed class ScaleChain : Module
    {
        public ScaleChain(int count) =>
            Scales = Enumerable.Range(0, count).Select(i => AddParameter($"scale{i}", Random(new Shape(N), 10 + i))).ToArray();

        public Parameter[] Scales { get; }
    }

    [Fact]
    public void BackwardIntoWritesEachLeafsGradientStraightIntoItsDestination()
    {
        using var scope = DisposeScope.Enter();
        var a = Leaf(1);
        var b = Leaf(2);
        var loss = F.Sum(F.Mul(F.Exp(a), b));
        using var rows = Tensors.Zeros(new Shape(2, N));
        var destinations = new Dictionary<NativeMtl.Tensor, NativeMtl.Tensor>
        {
            [a] = Ops.Reshape(Ops.Slice(rows, 0, 0, 1), N),
            [b] = Ops.Reshape(Ops.Slice(rows, 0, 1, 2), N),
        };
        Autograd.BackwardInto([loss], [null], destinations);
        var exp = Ops.Unary(UnaryOp.Exp, a);
        Assert.Equal(Ops.Mul(exp, b).ToArray<float>(), destinations[a].ToArray<float>());
        Assert.Equal(exp.ToArray<float>(), destinations[b].ToArray<float>());
        Assert.Null(a.Grad);
        Assert.Null(b.Grad);
    }
}
