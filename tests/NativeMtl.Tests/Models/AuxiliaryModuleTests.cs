using NativeMtl.Models;

namespace NativeMtl.Tests.Models;

public class AuxiliaryModuleTests
{
    private static ArchitectureOptions WithAuxiliary(AuxiliaryOptions auxiliary) =>
        ModelTestKit.Small([TaskSpec.Segmentation(5), TaskSpec.Depth(), TaskSpec.Normal()]) with { Auxiliary = auxiliary };

    [Theory]
    [InlineData("hps")]
    [InlineData("full_sharing")]
    public void TrainingForwardsPredictEachAuxiliaryTaskAtTheInputSize(string name)
    {
        using var model = ArchitectureRegistry.Create(name, WithAuxiliary(new AuxiliaryOptions { Tasks = ["seg", "normal"] }));
        using var scope = DisposeScope.Enter();
        var auxiliary = model.Forward(ModelTestKit.Input(2, 32, 48)).AuxiliaryPredictions;
        Assert.Equal(["seg", "normal"], auxiliary.Keys);
        Assert.Equal(new Shape(2, 5, 32, 48), auxiliary["seg"].Shape);
        Assert.Equal(new Shape(2, 3, 32, 48), auxiliary["normal"].Shape);
        Assert.All(F.Norm(auxiliary["normal"], [1]).ToArray<float>(), n => Assert.Equal(1f, n, 1e-5f));
    }

    [Fact]
    public void EvaluationForwardsDoNotRunThem()
    {
        using var model = new HardSharingModel(WithAuxiliary(new AuxiliaryOptions()));
        model.Eval();
        using var scope = DisposeScope.Enter();
        var output = model.Forward(ModelTestKit.Input(2, 16, 16));
        Assert.Empty(output.AuxiliaryPredictions);
        Assert.Equal(3, output.Predictions.Count);
    }

    [Fact]
    public void TheyDoNotChangeTheMainPredictions()
    {
        using var plain = new HardSharingModel(WithAuxiliary(new AuxiliaryOptions()) with { Auxiliary = null });
        using var assisted = new HardSharingModel(WithAuxiliary(new AuxiliaryOptions()));
        using var scope = DisposeScope.Enter();
        var x = ModelTestKit.Input(2, 16, 16);
        Assert.Equal(plain.Forward(x).Predictions["depth"].ToArray<float>(), assisted.Forward(x).Predictions["depth"].ToArray<float>());
    }

    [Fact]
    public void ExportedWeightsLeaveThemOut()
    {
        using var plain = new HardSharingModel(WithAuxiliary(new AuxiliaryOptions()) with { Auxiliary = null });
        using var assisted = new HardSharingModel(WithAuxiliary(new AuxiliaryOptions()));
        Assert.Contains(assisted.StateDict(), e => e.Path.StartsWith("auxiliary."));
        Assert.Equal(plain.StateDict().Select(e => e.Path), assisted.ExportedStateDict().Select(e => e.Path));
    }

    [Fact]
    public void TheirParametersLiveUnderAuxiliaryByTaskInGroupsOfTheirOwn()
    {
        using var model = new HardSharingModel(WithAuxiliary(new AuxiliaryOptions { Stages = [0, 2], Tasks = ["depth"] }));
        Assert.Equal(["auxiliary.depth.adaptors.0.0.weight", "auxiliary.depth.adaptors.0.1.weight", "auxiliary.depth.adaptors.0.1.bias",
            "auxiliary.depth.adaptors.1.0.weight", "auxiliary.depth.adaptors.1.1.weight", "auxiliary.depth.adaptors.1.1.bias",
            "auxiliary.depth.head.0.weight", "auxiliary.depth.head.1.weight", "auxiliary.depth.head.1.bias",
            "auxiliary.depth.head.3.weight", "auxiliary.depth.head.3.bias"],
            model.NamedParameters().Select(p => p.Path).Where(p => p.StartsWith("auxiliary.")));
        var groups = model.ParameterGroups;
        Assert.Equal(["auxiliary.depth"], groups.Auxiliary.Select(g => g.Name));
        Assert.Equal(["heads.seg", "heads.depth", "heads.normal"], groups.Heads.Select(g => g.Name));
        Assert.Equal(model.Auxiliary!.ParameterCount, groups["auxiliary.depth"].Size);
    }

    [Theory]
    [InlineData(AggregatorKind.Concat, AdaptorKind.Conv1x1, 3 * 6, 1)]
    [InlineData(AggregatorKind.Sum, AdaptorKind.Conv1x1, 6, 1)]
    [InlineData(AggregatorKind.Concat, AdaptorKind.Conv3x3, 3 * 6, 3)]
    public void AdaptorsAndAggregatorFollowTheOptions(AggregatorKind aggregator, AdaptorKind adaptor, int headInput, int kernel)
    {
        using var model = new HardSharingModel(WithAuxiliary(new AuxiliaryOptions { Aggregator = aggregator, Adaptor = adaptor, Channels = 6, Tasks = ["seg"] }));
        var shapes = model.NamedParameters().ToDictionary(p => p.Path, p => p.Parameter.Shape);
        Assert.Equal(new Shape(6, 8, kernel, kernel), shapes["auxiliary.seg.adaptors.0.0.weight"]);
        Assert.Equal(new Shape(6, 32, kernel, kernel), shapes["auxiliary.seg.adaptors.2.0.weight"]);
        Assert.Equal(new Shape(6, headInput, 3, 3), shapes["auxiliary.seg.head.0.weight"]);
        using var scope = DisposeScope.Enter();
        Assert.Equal(new Shape(2, 5, 16, 24), model.Forward(ModelTestKit.Input(2, 16, 24)).AuxiliaryPredictions["seg"].Shape);
    }

    [Fact]
    public void AuxiliaryLossesTrainTheEncoderThroughTheTaps()
    {
        using var model = new HardSharingModel(WithAuxiliary(new AuxiliaryOptions { Tasks = ["seg"] }));
        var groups = model.ParameterGroups;
        using var scope = DisposeScope.Enter();
        ModelTestKit.Probe(model.Forward(ModelTestKit.Input(2, 16, 16)).AuxiliaryPredictions.Values).Backward();
        ModelTestKit.AssertEveryParameterHasAGradient(model.Encoder);
        ModelTestKit.AssertEveryParameterHasAGradient(model.Auxiliary!);
        Assert.All(groups.Heads, h => Assert.All(h.Grads.ToArray<float>(), g => Assert.Equal(0f, g)));
    }

    [Fact]
    public void AStageTheEncoderLacksIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new HardSharingModel(WithAuxiliary(new AuxiliaryOptions { Stages = [1, 3] })));
        Assert.Equal("auxiliary modules: stage 3 does not exist (resnet_small has stages 0 to 2)", e.Message);
    }

    [Fact]
    public void AnUnknownTaskIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new HardSharingModel(WithAuxiliary(new AuxiliaryOptions { Tasks = ["edges"] })));
        Assert.Equal("auxiliary modules: unknown task 'edges' (tasks: seg, depth, normal)", e.Message);
    }

    /// <summary>The small ResNet with two blocks in its first and last stages.</summary>
    private static ArchitectureOptions TwoBlockStages(AuxiliaryOptions auxiliary) =>
        WithAuxiliary(auxiliary) with { EncoderOptions = new EncoderOptions { Widths = [8, 16, 32], Blocks = [2, 1, 2] } };

    [Fact]
    public void EveryResidualBlockOfTheTappedStagesIsATapByDefault()
    {
        using var model = new HardSharingModel(TwoBlockStages(new AuxiliaryOptions { Stages = [0, 2], Tasks = ["depth"] }));
        var module = model.Auxiliary!.Modules.Single().Module;
        Assert.Equal([(0, 0), (0, 1), (2, 0), (2, 1)], module.Taps);
        var shapes = model.NamedParameters().ToDictionary(p => p.Path, p => p.Parameter.Value.Shape);
        Assert.Equal(new Shape(64, 8, 1, 1), shapes["auxiliary.depth.adaptors.1.0.weight"]);
        Assert.Equal(new Shape(64, 32, 1, 1), shapes["auxiliary.depth.adaptors.3.0.weight"]);
        Assert.False(shapes.ContainsKey("auxiliary.depth.adaptors.4.0.weight"));
    }

    [Fact]
    public void PerStageTapsRemainAnOption()
    {
        using var model = new HardSharingModel(TwoBlockStages(new AuxiliaryOptions { Taps = TapKind.Stages, Tasks = ["depth"] }));
        Assert.Equal([(0, 1), (1, 0), (2, 1)], model.Auxiliary!.Modules.Single().Module.Taps);
    }

    [Fact]
    public void ABlockTapIsThatBlocksOutputAndTheLastBlockIsTheStage()
    {
        using var model = new HardSharingModel(TwoBlockStages(new AuxiliaryOptions()));
        using var scope = DisposeScope.Enter();
        var x = ModelTestKit.Input(2, 16, 16);
        var encoded = model.Encoder.Forward(x);
        Assert.Equal([2, 1, 2], encoded.Blocks.Select(b => b.Count));
        Assert.All(Enumerable.Range(0, 3), i => Assert.Same(encoded.Stages[i], encoded.Blocks[i][^1]));
        // The first block alone, run as the stage's first layer, gives the first tap.
        var resnet = (ResNet)model.Encoder;
        var first = resnet.Layers[0].Layers[0].Forward(model.Encoder.Stem(x));
        Assert.Equal(first.ToArray<float>(), encoded.Blocks[0][0].ToArray<float>());
        // Block by block, the stage's output is the one the whole stage gives.
        Assert.Equal(model.Encoder.Stage(0, model.Encoder.Stem(x)).ToArray<float>(), encoded.Stages[0].ToArray<float>());
    }
}
