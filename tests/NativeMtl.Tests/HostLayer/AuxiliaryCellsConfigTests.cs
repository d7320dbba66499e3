using NativeMtl.Host.Config;
using NativeMtl.Models;

namespace NativeMtl.Tests.HostLayer;

public class AuxiliaryCellsConfigTests
{
    private const string Searched = """
        tasks: {seg: main, depth: main}
        model:
          auxiliary_modules:
            channels: 8
            cells:
              seg:
                - {inputs: [0, 2], ops: [sep3x3, skip], aggregator: sum}
              depth:
                - {inputs: [1, 1], ops: [conv1x1, deform3x3], aggregator: concat}
                - {inputs: [seg.0, depth.0], ops: [sep3x3_d6, sep3x3_d3], aggregator: sum}

        """;

    private static TrainConfig Parse(string yaml, params string[] sets) =>
        ConfigReader.Parse(yaml, "run.yaml", sets.Select(ConfigOverride.Parse).ToList());

    private static string ErrorOf(string yaml, params string[] sets) => Assert.Throws<ConfigException>(() => Parse(yaml, sets)).Message;

    [Fact]
    public void EachTasksCellsReadAsWritten()
    {
        var cells = Parse(Searched).Model.AuxiliaryModules!.Cells!;
        Assert.Equal(["seg", "depth"], cells.Keys);
        Assert.Equal(new AuxiliaryCellSpec(new TapInput(0), new TapInput(2), AdaptorOp.SeparableConv3x3, AdaptorOp.Skip, AggregatorKind.Sum), cells["seg"][0]);
        Assert.Equal(new AuxiliaryCellSpec(new CellOutputInput("seg", 0), new CellOutputInput("depth", 0), AdaptorOp.SeparableConv3x3Dilation6,
            AdaptorOp.SeparableConv3x3Dilation3, AggregatorKind.Sum), cells["depth"][1]);
    }

    [Fact]
    public void TheResolvedYamlWritesTheCellsOnePerLineAndReadsThemBack()
    {
        var yaml = ConfigWriter.ToYaml(Parse(Searched));
        Assert.Contains("      - {inputs: [seg.0, depth.0], ops: [sep3x3_d6, sep3x3_d3], aggregator: sum}\n", yaml);
        Assert.DoesNotContain("adaptor:", yaml);
        Assert.Equal(yaml, ConfigWriter.ToYaml(ConfigReader.Parse(yaml, "config.yaml", [])));
    }

    [Fact]
    public void AnUnknownOperationListsTheSearchSpacesOperations() =>
        Assert.Equal("config run.yaml line 7: model.auxiliary_modules.cells.seg[0].ops[1]: unknown value 'sep5x5' (known: sep3x3, conv1x1, sep3x3_d3, sep3x3_d6, skip, deform3x3)",
            ErrorOf(Searched.Replace("[sep3x3, skip]", "[sep3x3, sep5x5]")));

    [Fact]
    public void AnInputThatIsNeitherATapNorACellIsRefusedAtItsLine() =>
        Assert.Equal("config run.yaml line 10: model.auxiliary_modules.cells.depth[1].inputs[0]: 'seg' is neither a tap (0, 1, …) nor a cell (task.N, such as seg.0)",
            ErrorOf(Searched.Replace("[seg.0, depth.0]", "[seg, depth.0]")));

    [Fact]
    public void ACellNeedsTwoInputs() =>
        Assert.Equal("config run.yaml line 7: model.auxiliary_modules.cells.seg[0]: inputs: expected two, such as [0, seg.0], got 1",
            ErrorOf(Searched.Replace("[0, 2]", "[0]")));

    [Fact]
    public void TheBasicModulesAdaptorDoesNotApplyToCells() =>
        Assert.Equal("config run.yaml line 5: model.auxiliary_modules.adaptor does not apply with cells (each cell names its own)",
            ErrorOf(Searched.Replace("    channels: 8\n", "    channels: 8\n    adaptor: conv3x3\n")));

    [Fact]
    public void CellsOfATaskTheRunDoesNotHaveAreRefused() =>
        Assert.Equal("config run.yaml line 3: model.auxiliary_modules.cells: 'depth' is not one of the tasks (seg, normal)",
            ErrorOf(Searched.Replace("{seg: main, depth: main}", "{seg: main, normal: auxiliary}")));
}
