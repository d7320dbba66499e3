using NativeMtl.Models;
using NativeMtl.Tests.TensorLayer;

namespace NativeMtl.Tests.Models;

[Collection(nameof(MemoryCounterCollection))]
public class ModelLifetimeTests
{
    [Theory]
    [InlineData("hps")]
    [InlineData("full_sharing")]
    [InlineData("cross_stitch")]
    public void TrainingStepsInScopesKeepLiveTensorsFlatAndDisposalFreesTheModel(string name)
    {
        long tensors = MemoryCounters.LiveTensors, bytes = MemoryCounters.LiveBytes;
        var options = ModelTestKit.Small() with { Auxiliary = name == "cross_stitch" ? null : new AuxiliaryOptions { Stages = [1, 2] } };
        using (var model = ArchitectureRegistry.Create(name, options))
        {
            var groups = model.ParameterGroups;
            long built = MemoryCounters.LiveTensors;
            for (int step = 0; step < 3; step++)
            {
                using var scope = DisposeScope.Enter();
                var output = model.Forward(ModelTestKit.Input(2, 16, 16));
                ModelTestKit.Probe(output.Predictions.Values.Concat(output.AuxiliaryPredictions.Values)).Backward();
                foreach (var g in groups.All) g.ZeroGrad();
            }
            Assert.Equal(built, MemoryCounters.LiveTensors);
        }
        Assert.Equal(tensors, MemoryCounters.LiveTensors);
        Assert.Equal(bytes, MemoryCounters.LiveBytes);
    }
}
