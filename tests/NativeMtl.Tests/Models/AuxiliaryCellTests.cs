using NativeMtl.Models;

namespace NativeMtl.Tests.Models;

public class AuxiliaryCellTests
{
    private static AuxiliaryCellSpec Cell(string first, string second, AdaptorOp a, AdaptorOp b, AggregatorKind aggregator) =>
        new(CellInput.Parse(first), CellInput.Parse(second), a, b, aggregator);

    /// <summary>The small ResNet (taps of 8, 16 and 32 channels at strides 2, 4 and 8 of a 16×16 input... the last
    /// two at the features' size) with searched modules of width 8.</summary>
    private static HardSharingModel Searched(Dictionary<string, IReadOnlyList<AuxiliaryCellSpec>> cells) =>
        new(ModelTestKit.Small([TaskSpec.Segmentation(5), TaskSpec.Depth()]) with { Auxiliary = new AuxiliaryOptions { Channels = 8, Cells = cells } });

    [Fact]
    public void EachAdaptorOperationHasItsLayers()
    {
        using var model = Searched(new()
        {
            ["seg"] = [Cell("1", "2", AdaptorOp.SeparableConv3x3Dilation6, AdaptorOp.Deformable3x3, AggregatorKind.Sum)],
            ["depth"] = [Cell("0", "2", AdaptorOp.Skip, AdaptorOp.Skip, AggregatorKind.Concat)],
        });
        var shapes = model.NamedParameters().Where(p => p.Path.StartsWith("auxiliary.", StringComparison.Ordinal) && !p.Path.Contains(".head."))
            .ToDictionary(p => p.Path, p => p.Parameter.Shape);
        // Separable: a depthwise 3×3 on the tap's 16 channels, a pointwise to the width, BN.
        Assert.Equal(new Shape(16, 1, 3, 3), shapes["auxiliary.seg.cells.0.first.0.weight"]);
        Assert.Equal(new Shape(8, 16, 1, 1), shapes["auxiliary.seg.cells.0.first.1.weight"]);
        Assert.Equal(new Shape(8), shapes["auxiliary.seg.cells.0.first.2.weight"]);
        Assert.Equal(6, ModelTestKit.ModuleAt<Conv2d>(model, "auxiliary.seg.cells.0.first.0").Geometry.DilationH);
        // Deformable: its offsets' convolution and weights, BN.
        Assert.Equal(new Shape(18, 32, 3, 3), shapes["auxiliary.seg.cells.0.second.0.offset.weight"]);
        Assert.Equal(new Shape(8, 32, 3, 3), shapes["auxiliary.seg.cells.0.second.0.weight"]);
        // Skip: the identity on a tap of the width (8 channels), a 1×1 projection on one of 32.
        Assert.DoesNotContain(shapes.Keys, p => p.StartsWith("auxiliary.depth.cells.0.first.", StringComparison.Ordinal));
        Assert.Equal([new Shape(8, 32, 1, 1)], shapes.Where(s => s.Key.StartsWith("auxiliary.depth.cells.0.second.", StringComparison.Ordinal)).Select(s => s.Value));
    }

    [Fact]
    public void ASumCellOfTwoSkipsIsTwiceItsTapAtTheFeaturesSize()
    {
        // Tap 0 has the width's 8 channels: both skips are identities, and the sum is 2 × the tap, resized.
        using var model = Searched(new() { ["seg"] = [Cell("0", "0", AdaptorOp.Skip, AdaptorOp.Skip, AggregatorKind.Sum)] });
        var cell = model.Auxiliary!.Modules.Single().Module.Cells.Single();
        Assert.Empty(cell.Parameters());
        using var scope = DisposeScope.Enter();
        var encoded = model.Encoder.Forward(ModelTestKit.Input(2, 16, 16));
        var nodes = new AuxiliaryCellGraph.Nodes(scope, encoded, model.Auxiliary.Taps, _ => cell);
        var expected = F.UpsampleBilinear2d(F.MulAdd(encoded.Blocks[0][0], 2.0), encoded.Features.Shape[2], encoded.Features.Shape[3]);
        Assert.Equal(expected.ToArray<float>(), nodes.Cell(new CellOutputInput("seg", 0)).ToArray<float>());
    }

    [Fact]
    public void TheHeadReadsTheCellsNoLaterCellOfItsTaskReads()
    {
        using var model = Searched(new()
        {
            ["seg"] =
            [
                Cell("0", "1", AdaptorOp.Conv1x1, AdaptorOp.Conv1x1, AggregatorKind.Concat),
                Cell("2", "2", AdaptorOp.Conv1x1, AdaptorOp.SeparableConv3x3, AggregatorKind.Sum),
                Cell("seg.1", "0", AdaptorOp.Skip, AdaptorOp.Conv1x1, AggregatorKind.Sum),
            ],
        });
        var module = model.Auxiliary!.Modules.Single().Module;
        Assert.Equal([0, 2], module.OutputCells);
        // Cell 0 concatenates (16 channels), cell 2 sums (8).
        Assert.Equal(new Shape(8, 24, 3, 3), model.NamedParameters().Single(p => p.Path == "auxiliary.seg.head.0.weight").Parameter.Shape);
        using var scope = DisposeScope.Enter();
        Assert.Equal(new Shape(2, 5, 16, 24), model.Forward(ModelTestKit.Input(2, 16, 24)).AuxiliaryPredictions["seg"].Shape);
    }

    [Fact]
    public void ALaterTasksCellMayReadAnEarlierTasksCellAndTrainsIt()
    {
        using var model = Searched(new()
        {
            ["seg"] = [Cell("0", "1", AdaptorOp.Conv1x1, AdaptorOp.SeparableConv3x3Dilation3, AggregatorKind.Sum)],
            ["depth"] = [Cell("2", "1", AdaptorOp.Conv1x1, AdaptorOp.Conv1x1, AggregatorKind.Sum), Cell("seg.0", "depth.0", AdaptorOp.Conv1x1, AdaptorOp.Skip, AggregatorKind.Sum)],
        });
        using var scope = DisposeScope.Enter();
        var predictions = model.Forward(ModelTestKit.Input(2, 16, 16), ["depth"]).AuxiliaryPredictions;
        Assert.Equal(["depth"], predictions.Keys);
        ModelTestKit.Probe(predictions.Values).Backward();
        ModelTestKit.AssertEveryParameterHasAGradient(ModelTestKit.ModuleAt<AuxiliaryCell>(model, "auxiliary.seg.cells.0"));
    }

    [Fact]
    public void ACellFirstRunInsideAnotherCellStillServesTheModulesThatReadItLater()
    {
        // seg.1 runs seg.0 inside itself; depth.1 then reads seg.0 again, from the memo.
        using var model = Searched(new()
        {
            ["seg"] = [Cell("0", "1", AdaptorOp.Conv1x1, AdaptorOp.Conv1x1, AggregatorKind.Sum), Cell("seg.0", "2", AdaptorOp.Skip, AdaptorOp.Conv1x1, AggregatorKind.Sum)],
            ["depth"] = [Cell("0", "0", AdaptorOp.Conv1x1, AdaptorOp.Skip, AggregatorKind.Sum), Cell("seg.0", "depth.0", AdaptorOp.Conv1x1, AdaptorOp.Skip, AggregatorKind.Sum)],
        });
        using var scope = DisposeScope.Enter();
        var predictions = model.Forward(ModelTestKit.Input(2, 16, 16)).AuxiliaryPredictions;
        Assert.Equal(["seg", "depth"], predictions.Keys);
        ModelTestKit.Probe(predictions.Values).Backward();
        ModelTestKit.AssertEveryParameterHasAGradient(model.Auxiliary!);
    }

    [Theory]
    [InlineData("seg", "depth.0", "auxiliary modules: cells.seg[0] cannot read depth.0 (it reads taps 0 to 2, cells of its own task before it, and cells of the tasks before seg (seg, depth) with an index below 0)")]
    [InlineData("depth", "depth.1", "auxiliary modules: cells.depth[1] cannot read depth.1 (it reads taps 0 to 2, cells of its own task before it, and cells of the tasks before depth (seg, depth) with an index below 1)")]
    [InlineData("depth", "3", "auxiliary modules: cells.depth[1] cannot read 3 (it reads taps 0 to 2, cells of its own task before it, and cells of the tasks before depth (seg, depth) with an index below 1)")]
    public void ACellReadingWhatItMayNotIsRefused(string task, string input, string message)
    {
        var cells = new Dictionary<string, IReadOnlyList<AuxiliaryCellSpec>>
        {
            ["seg"] = [Cell("0", "0", AdaptorOp.Skip, AdaptorOp.Skip, AggregatorKind.Sum)],
            ["depth"] = [Cell("0", "0", AdaptorOp.Skip, AdaptorOp.Skip, AggregatorKind.Sum), Cell("0", "0", AdaptorOp.Skip, AdaptorOp.Skip, AggregatorKind.Sum)],
        };
        cells[task] = [.. cells[task].SkipLast(1), cells[task][^1] with { Second = CellInput.Parse(input) }];
        var e = Assert.Throws<ArgumentException>(() => Searched(cells));
        Assert.Equal(message, e.Message);
    }

    [Theory]
    [InlineData("7", "7")]
    [InlineData("seg.12", "seg.12")]
    [InlineData("seg_noisy.0", "seg_noisy.0")]
    public void CellInputsReadAsWritten(string text, string written) => Assert.Equal(written, CellInput.Parse(text).ToString());

    [Fact]
    public void ACellInputThatIsNeitherATapNorACellIsRefused()
    {
        var e = Assert.Throws<FormatException>(() => CellInput.Parse("seg"));
        Assert.Equal("'seg' is neither a tap (0, 1, …) nor a cell (task.N, such as seg.0)", e.Message);
    }
}
