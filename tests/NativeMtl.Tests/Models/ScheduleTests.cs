using NativeMtl.Models;

namespace NativeMtl.Tests.Models;

public class ScheduleTests
{
    [Fact]
    public void CosineStartsAtTheBaseRatePassesTheMidpointAndEndsAtTheFloor()
    {
        var s = new CosineSchedule(0.1, 100, 0.001);
        Assert.Equal(0.1, s.At(0), 15);
        Assert.Equal((0.1 + 0.001) / 2, s.At(50), 15);
        Assert.Equal(0.001, s.At(100), 15);
        Assert.Equal(0.001, s.At(150), 15);
    }

    [Fact]
    public void PolyDecaysAsAPowerOfTheRemainingFraction()
    {
        var s = new PolySchedule(0.01, 200, 0.9);
        Assert.Equal(0.01, s.At(0), 15);
        Assert.Equal(0.01 * Math.Pow(0.5, 0.9), s.At(100), 15);
        Assert.Equal(0, s.At(200), 15);
    }
}
