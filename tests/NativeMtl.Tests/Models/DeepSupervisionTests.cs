using NativeMtl.Models;

namespace NativeMtl.Tests.Models;

/// <summary>Deep supervision (seed 001 §4.2): a 1×1 conv head per encoder stage for the chosen tasks, run in training
/// only, trained by its own losses, and invisible to the model's predictions and exported weights.</summary>
public class DeepSupervisionTests
{
    private static ArchitectureOptions WithDeepSupervision(DeepSupervisionOptions? deepSupervision, AuxiliaryOptions? auxiliary = null) =>
        ModelTestKit.Small([TaskSpec.Segmentation(5), TaskSpec.Depth(), TaskSpec.Normal()]) with { DeepSupervision = deepSupervision, Auxiliary = auxiliary };

    [Theory]
    [InlineData("hps")]
    [InlineData("full_sharing")]
    public void TrainingForwardsPredictEachTaskFromEveryStageAtTheInputSize(string name)
    {
        using var model = ArchitectureRegistry.Create(name, WithDeepSupervision(new DeepSupervisionOptions { Tasks = ["seg", "normal"] }));
        using var scope = DisposeScope.Enter();
        var auxiliary = model.Forward(ModelTestKit.Input(2, 32, 48)).AuxiliaryOutputs;
        Assert.Equal(["deep_supervision.seg.0", "deep_supervision.seg.1", "deep_supervision.seg.2",
            "deep_supervision.normal.0", "deep_supervision.normal.1", "deep_supervision.normal.2"], auxiliary.Keys);
        Assert.All(auxiliary.Values, p => Assert.Equal(0.1, p.Weight));
        Assert.Equal(["seg", "seg", "seg", "normal", "normal", "normal"], auxiliary.Values.Select(p => p.Task));
        Assert.All(auxiliary.Values.Take(3), p => Assert.Equal(new Shape(2, 5, 32, 48), p.Prediction.Shape));
        Assert.All(auxiliary.Values.Skip(3), p => Assert.All(F.Norm(p.Prediction, [1]).ToArray<float>(), n => Assert.Equal(1f, n, 1e-5f)));
    }

    [Fact]
    public void EachHeadIsA1x1ConvOnItsStagesOutputResizedToTheInput()
    {
        using var model = new HardSharingModel(WithDeepSupervision(new DeepSupervisionOptions { Tasks = ["depth"] }));
        var shapes = model.NamedParameters().Where(p => p.Path.StartsWith("deep_supervision.")).ToDictionary(p => p.Path, p => p.Parameter.Shape);
        Assert.Equal(new Dictionary<string, Shape>
        {
            ["deep_supervision.depth.0.weight"] = new(1, 8, 1, 1), ["deep_supervision.depth.0.bias"] = new(1),
            ["deep_supervision.depth.1.weight"] = new(1, 16, 1, 1), ["deep_supervision.depth.1.bias"] = new(1),
            ["deep_supervision.depth.2.weight"] = new(1, 32, 1, 1), ["deep_supervision.depth.2.bias"] = new(1),
        }, shapes);
        using var scope = DisposeScope.Enter();
        var x = ModelTestKit.Input(2, 16, 24);
        var predictions = model.Forward(x).AuxiliaryPredictions;
        var stages = model.Encoder.Forward(x).Stages;
        for (int s = 0; s < 3; s++)
        {
            var expected = F.UpsampleBilinear2d(model.DeepSupervision!.Head("depth", s).Forward(stages[s]), 16, 24);
            Assert.Equal(expected.ToArray<float>(), predictions[$"deep_supervision.depth.{s}"].ToArray<float>());
        }
    }

    [Fact]
    public void EvaluationForwardsDoNotRunThem()
    {
        using var model = new HardSharingModel(WithDeepSupervision(new DeepSupervisionOptions()));
        model.Eval();
        using var scope = DisposeScope.Enter();
        var output = model.Forward(ModelTestKit.Input(2, 16, 16));
        Assert.Empty(output.AuxiliaryOutputs);
        Assert.Equal(3, output.Predictions.Count);
    }

    [Theory]
    [InlineData("hps")]
    [InlineData("full_sharing")]
    public void TheyDoNotChangeTheModelsPredictions(string name)
    {
        using var plain = ArchitectureRegistry.Create(name, WithDeepSupervision(null));
        using var supervised = ArchitectureRegistry.Create(name, WithDeepSupervision(new DeepSupervisionOptions()));
        using var scope = DisposeScope.Enter();
        var x = ModelTestKit.Input(2, 16, 16);
        var (expected, actual) = (plain.Forward(x).Predictions, supervised.Forward(x).Predictions);
        Assert.Equal(expected.Keys, actual.Keys);
        Assert.All(expected.Keys, t => Assert.Equal(expected[t].ToArray<float>(), actual[t].ToArray<float>()));
    }

    [Fact]
    public void ExportedWeightsLeaveThemOut()
    {
        using var plain = new HardSharingModel(WithDeepSupervision(null));
        using var supervised = new HardSharingModel(WithDeepSupervision(new DeepSupervisionOptions()));
        Assert.Contains(supervised.StateDict(), e => e.Path.StartsWith("deep_supervision."));
        Assert.Equal(plain.StateDict().Select(e => e.Path), supervised.ExportedStateDict().Select(e => e.Path));
    }

    [Fact]
    public void TheirParametersAreTrainingOnlyGroupsOfTheirOwnBesideTheAuxiliaryModules()
    {
        using var model = new HardSharingModel(WithDeepSupervision(new DeepSupervisionOptions { Tasks = ["seg", "depth"] }, new AuxiliaryOptions { Tasks = ["depth"] }));
        var groups = model.ParameterGroups;
        Assert.Equal(["auxiliary.depth", "deep_supervision.seg", "deep_supervision.depth"], groups.Auxiliary.Select(g => g.Name));
        Assert.Equal(["heads.seg", "heads.depth", "heads.normal"], groups.Heads.Select(g => g.Name));
        Assert.Equal(model.DeepSupervision!.ParameterCount, groups["deep_supervision.seg"].Size + groups["deep_supervision.depth"].Size);
        Assert.Equal(3 * 5 + (8 + 16 + 32) * 5, groups["deep_supervision.seg"].Size);
    }

    [Fact]
    public void TheyCoexistWithAnAuxiliaryModuleOfTheSameTaskUnderOtherKeys()
    {
        using var model = new HardSharingModel(WithDeepSupervision(new DeepSupervisionOptions { Tasks = ["depth"], Weight = 0.5 }, new AuxiliaryOptions { Tasks = ["depth"] }));
        using var scope = DisposeScope.Enter();
        var auxiliary = model.Forward(ModelTestKit.Input(2, 16, 16)).AuxiliaryOutputs;
        Assert.Equal(["depth", "deep_supervision.depth.0", "deep_supervision.depth.1", "deep_supervision.depth.2"], auxiliary.Keys);
        Assert.All(auxiliary.Values, p => Assert.Equal("depth", p.Task));
        Assert.Equal([1, 0.5, 0.5, 0.5], auxiliary.Values.Select(p => p.Weight));
    }

    [Fact]
    public void TheirLossesTrainTheEncoderAndThemselvesButNotTheHeads()
    {
        using var model = new HardSharingModel(WithDeepSupervision(new DeepSupervisionOptions { Tasks = ["seg"] }));
        var groups = model.ParameterGroups;
        using var scope = DisposeScope.Enter();
        ModelTestKit.Probe(model.Forward(ModelTestKit.Input(2, 16, 16)).AuxiliaryPredictions.Values).Backward();
        ModelTestKit.AssertEveryParameterHasAGradient(model.Encoder);
        ModelTestKit.AssertEveryParameterHasAGradient(model.DeepSupervision!);
        Assert.All(groups.Heads, h => Assert.All(h.Grads.ToArray<float>(), g => Assert.Equal(0f, g)));
    }

    [Fact]
    public void CrossStitchRefusesThem()
    {
        var e = Assert.Throws<ArgumentException>(() => ArchitectureRegistry.Create("cross_stitch", WithDeepSupervision(new DeepSupervisionOptions())));
        Assert.Equal("cross_stitch: deep supervision needs one shared encoder; use hps or full_sharing", e.Message);
    }

    [Fact]
    public void AnUnknownTaskIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new HardSharingModel(WithDeepSupervision(new DeepSupervisionOptions { Tasks = ["edges"] })));
        Assert.Equal("deep supervision: unknown task 'edges' (tasks: seg, depth, normal)", e.Message);
    }

    [Fact]
    public void AWeightAtOrBelowZeroIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new HardSharingModel(WithDeepSupervision(new DeepSupervisionOptions { Weight = 0 })));
        Assert.Equal("deep supervision: weight 0 must be a positive number", e.Message);
    }
}
