using NativeMtl.Kernels;
using NativeMtl.Raw;
using NativeMtl.Tests.TensorLayer;

namespace NativeMtl.Tests.AutogradLayer;

[Collection(nameof(MemoryCounterCollection))]
public class LeakTests
{
    /// <summary>conv → batch norm → relu → max pool → 1×1 conv → upsample → cross-entropy, SGD with momentum.</summary>
    private sealed class SmallConvNet : IDisposable
    {
        private readonly NativeMtl.Tensor[] _parameters;
        private readonly NativeMtl.Tensor[] _momentum;
        private readonly NativeMtl.Tensor _runningMean = Tensors.Zeros(new Shape(8));
        private readonly NativeMtl.Tensor _runningVar = Tensors.Ones(new Shape(8));

        public SmallConvNet()
        {
            var g = new Generator(11);
            _parameters =
            [
                Tensors.Normal(new Shape(8, 3, 3, 3), g, std: 0.2),
                Tensors.Ones(new Shape(8)), Tensors.Zeros(new Shape(8)),
                Tensors.Normal(new Shape(4, 8, 1, 1), g, std: 0.2), Tensors.Zeros(new Shape(4)),
            ];
            foreach (var p in _parameters) p.RequiresGrad = true;
            _momentum = _parameters.Select(p => Tensors.ZerosLike(p)).ToArray();
        }

        public double Step(NativeMtl.Tensor images, NativeMtl.Tensor labels, bool first)
        {
            var p = _parameters;
            var h = F.Conv2d(images, p[0], null, new(PadH: 1, PadW: 1));
            h = F.Relu(F.BatchNorm2d(h, p[1], p[2], _runningMean, _runningVar, training: true));
            h = F.MaxPool2d(h, new Pool2dGeometry(2, 2, 2, 2));
            var logits = F.UpsampleBilinear2d(F.Conv2d(h, p[3], p[4]), images.Shape[2], images.Shape[3]);
            var loss = F.CrossEntropy(logits, labels);
            loss.Backward();
            for (int i = 0; i < p.Length; i++)
            {
                Ops.SgdStep(p[i], p[i].Grad!, _momentum[i], new SgdOptions(0.05, Momentum: 0.9), first);
                p[i].Grad = null;
            }
            return loss.Item();
        }

        public void Dispose()
        {
            foreach (var t in _parameters.Concat(_momentum)) t.Dispose();
            _runningMean.Dispose();
            _runningVar.Dispose();
        }
    }

    [Fact]
    public void ThousandTrainingStepsInScopesLeaveLiveTensorsAndBytesWhereTheyStarted()
    {
        using var net = new SmallConvNet();
        var g = new Generator(5);
        using var images = Tensors.Normal(new Shape(2, 3, 8, 8), g);
        using var labels = Tensors.FromArray(Enumerable.Range(0, 128).Select(i => i % 5 == 0 ? -100 : i % 4).ToArray(), 2, 8, 8);
        long tensors = MemoryCounters.LiveTensors, bytes = MemoryCounters.LiveBytes;
        double firstLoss = 0, lastLoss = 0;
        for (int step = 0; step < 1000; step++)
        {
            using var scope = DisposeScope.Enter();
            lastLoss = net.Step(images, labels, first: step == 0);
            if (step == 0) firstLoss = lastLoss;
            if (step == 9) MemoryCounters.ResetPeaks();
        }
        long peakAfterWarmUp = MemoryCounters.PeakBytes;
        Assert.Equal(tensors, MemoryCounters.LiveTensors);
        Assert.Equal(bytes, MemoryCounters.LiveBytes);
        Assert.True(peakAfterWarmUp - bytes < 1 << 20, $"a step held {peakAfterWarmUp - bytes} bytes at its peak");
        Assert.True(lastLoss < 0.5 * firstLoss, $"loss went from {firstLoss} to {lastLoss}: the steps did not train");
    }
}
