using NativeMtl.Models;

namespace NativeMtl.Tests.Models;

public class AuxiliarySearchSpaceTests
{
    private static readonly AuxiliarySearchSpace TwoTasksTwoCells = new(taps: 3, ["seg", "depth"], cellsPerTask: 2);

    [Fact]
    public void EachCellIsFiveDecisionsGeneratedCellIndexFirstThenTask()
    {
        // seg.0 and depth.0 read the 3 taps; seg.1 also seg.0; depth.1 also seg.0 and depth.0.
        Assert.Equal([3, 3, 6, 6, 2, 3, 3, 6, 6, 2, 4, 4, 6, 6, 2, 5, 5, 6, 6, 2], TwoTasksTwoCells.Choices);
    }

    [Fact]
    public void ACellReadsTheTapsAndTheLowerCellsOfItsOwnAndEarlierTasks()
    {
        Assert.Equal(["0", "1", "2", "seg.0", "depth.0"], TwoTasksTwoCells.Locations("depth", 1).Select(l => l.ToString()));
        Assert.Equal(["0", "1", "2", "seg.0"], TwoTasksTwoCells.Locations("seg", 1).Select(l => l.ToString()));
    }

    [Fact]
    public void TokensDecodeToCellsInTheSearchOrder()
    {
        int[] tokens = [0, 2, 0, 4, 0, 1, 1, 1, 1, 1, 3, 0, 5, 2, 1, 4, 3, 3, 4, 0];
        var cells = TwoTasksTwoCells.Decode(tokens);
        Assert.Equal("{inputs: [0, 2], ops: [sep3x3, skip], aggregator: sum}", cells["seg"][0].ToString());
        Assert.Equal("{inputs: [1, 1], ops: [conv1x1, conv1x1], aggregator: concat}", cells["depth"][0].ToString());
        Assert.Equal("{inputs: [seg.0, 0], ops: [deform3x3, sep3x3_d3], aggregator: concat}", cells["seg"][1].ToString());
        Assert.Equal("{inputs: [depth.0, seg.0], ops: [sep3x3_d6, skip], aggregator: sum}", cells["depth"][1].ToString());
        Assert.Equal(tokens, TwoTasksTwoCells.Encode(cells));
    }

    [Fact]
    public void ATokenOutsideItsDecisionIsRefused()
    {
        var tokens = new int[20];
        tokens[15] = 5;
        var e = Assert.Throws<ArgumentException>(() => TwoTasksTwoCells.Decode(tokens));
        Assert.Equal("search space: token 15 is 5, outside 0 to 4", e.Message);
    }

    [Fact]
    public void CellsThatReadBeyondTheirReachHaveNoTokens()
    {
        var cells = TwoTasksTwoCells.Decode(new int[20]).ToDictionary(c => c.Key, c => c.Value.ToList());
        cells["seg"][1] = cells["seg"][1] with { First = new CellOutputInput("depth", 0) };
        var e = Assert.Throws<ArgumentException>(() => TwoTasksTwoCells.Encode(cells.ToDictionary(c => c.Key, c => (IReadOnlyList<AuxiliaryCellSpec>)c.Value)));
        Assert.Equal("search space: seg.1 cannot read depth.0", e.Message);
    }
}
