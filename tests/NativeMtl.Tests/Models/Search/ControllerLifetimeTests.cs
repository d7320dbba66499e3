using NativeMtl.Models;
using NativeMtl.Tests.TensorLayer;

namespace NativeMtl.Tests.Models.Search;

[Collection(nameof(MemoryCounterCollection))]
public class ControllerLifetimeTests
{
    [Fact]
    public void SamplingAndUpdatingOutsideAnyScopeLeaveNoTensorsAndDisposalFreesEverything()
    {
        long tensors = MemoryCounters.LiveTensors, bytes = MemoryCounters.LiveBytes;
        using (var controller = new ArchitectureController([3, 6, 2], new ControllerOptions(Hidden: 8), seed: 1))
        using (var ppo = new ControllerPpo(controller, new PpoOptions()))
        {
            var generator = new Generator(2);
            long built = MemoryCounters.LiveTensors;
            for (int update = 0; update < 3; update++)
            {
                var batch = Enumerable.Range(0, 4).Select(_ => (controller.Sample(generator), 1.0 * update)).ToArray();
                controller.MostLikely();
                ppo.Update(batch);
            }
            Assert.Equal(built, MemoryCounters.LiveTensors);
        }
        Assert.Equal(tensors, MemoryCounters.LiveTensors);
        Assert.Equal(bytes, MemoryCounters.LiveBytes);
    }
}
