using NativeMtl.Models;

namespace NativeMtl.Tests.Models;

public class ArchitectureTests
{
    public static TheoryData<string> Names => ["hps", "full_sharing", "cross_stitch"];

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryTaskIsPredictedAtTheInputSizeWithItsChannels(string name)
    {
        using var model = ArchitectureRegistry.Create(name, ModelTestKit.Small());
        using var scope = DisposeScope.Enter();
        var output = model.Forward(ModelTestKit.Input(2, 32, 48));
        Assert.Equal(["seg", "depth", "normal", "curvature"], output.Predictions.Keys);
        Assert.Equal(new Shape(2, 5, 32, 48), output.Predictions["seg"].Shape);
        Assert.Equal(new Shape(2, 1, 32, 48), output.Predictions["depth"].Shape);
        Assert.Equal(new Shape(2, 3, 32, 48), output.Predictions["normal"].Shape);
        Assert.Equal(new Shape(2, 2, 32, 48), output.Predictions["curvature"].Shape);
        Assert.Empty(output.AuxiliaryPredictions);
    }

    /// <summary>A plain forward pass predicts every task at once, in the modes of the call; only a caller that asks to
    /// defer the heads gets them run later, in the modes of that moment (here evaluation's running statistics).</summary>
    [Fact]
    public void HeadsRunInTheCallsModesUnlessTheCallerDefersThem()
    {
        using var model = ArchitectureRegistry.Create("hps", ModelTestKit.Small());
        using var scope = DisposeScope.Enter();
        var x = ModelTestKit.Input(2, 16, 24);
        var expected = model.Forward(x).Predictions["depth"].ToArray<float>();
        var eager = model.Forward(x);
        var deferred = model.Forward(x, deferHeads: true);
        model.Eval();
        Assert.Equal(expected, eager.Predictions["depth"].ToArray<float>());
        Assert.NotEqual(expected, deferred.Predictions["depth"].ToArray<float>());
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void NormalsHaveUnitLength(string name)
    {
        using var model = ArchitectureRegistry.Create(name, ModelTestKit.Small());
        using var scope = DisposeScope.Enter();
        var norms = F.Norm(model.Forward(ModelTestKit.Input(2, 16, 24)).Predictions["normal"], [1]).ToArray<float>();
        Assert.All(norms, n => Assert.Equal(1f, n, 1e-5f));
    }

    [Theory]
    [InlineData("hps", 32)]
    [InlineData("full_sharing", 32)]
    [InlineData("cross_stitch", 4 * 32)]
    public void TheSharedFeatureIsTheTrunkOutputAtOutputStrideEight(string name, int channels)
    {
        using var model = ArchitectureRegistry.Create(name, ModelTestKit.Small());
        using var scope = DisposeScope.Enter();
        Assert.Equal(new Shape(2, channels, 4, 6), model.Forward(ModelTestKit.Input(2, 32, 48)).SharedFeature.Shape);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void BackwardReachesEveryParameterThroughTheGroupArenas(string name)
    {
        using var model = ArchitectureRegistry.Create(name, ModelTestKit.Small());
        var groups = model.ParameterGroups;
        using var scope = DisposeScope.Enter();
        ModelTestKit.Probe(model.Forward(ModelTestKit.Input(2, 16, 24)).Predictions.Values).Backward();
        ModelTestKit.AssertEveryParameterHasAGradient(model);
        Assert.Equal(model.ParameterCount, groups.All.Sum(g => g.Size));
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void TasksReachTheTrunkOnlyThroughTheSharedFeature(string name)
    {
        // The split backward of the multi-task step: each task's gradient at z, summed, sent once through
        // the trunk, must give the trunk the same gradient as one backward of the summed losses.
        using var model = ArchitectureRegistry.Create(name, ModelTestKit.Small());
        var trunk = model.ParameterGroups.Encoder;
        using var scope = DisposeScope.Enter();
        var x = ModelTestKit.Input(2, 16, 24);
        model.Eval();
        NativeMtl.Tensor Loss(MtlOutput output, int task) =>
            ModelTestKit.Probe([output.Predictions[model.Tasks[task].Name]], seed: 11 + (ulong)task);
        var first = model.Forward(x);
        Enumerable.Range(0, model.Tasks.Count).Select(i => Loss(first, i)).Aggregate(F.Add).Backward();
        var direct = trunk.Grads.ToArray<float>();
        trunk.ZeroGrad();

        var output = model.Forward(x);
        var z = output.SharedFeature;
        var perTask = Enumerable.Range(0, model.Tasks.Count).Select(i => Autograd.Grad(Loss(output, i), z, retainGraph: true));
        z.Backward(perTask.Aggregate(F.Add));
        TestData.Close(direct.Select(v => (double)v).ToArray(), trunk.Grads.ToArray<float>().Select(v => (double)v).ToArray(), 1e-4);
    }

    [Fact]
    public void HardSharingGroupsAreTheEncoderThenOneHeadPerTask()
    {
        using var model = new HardSharingModel(ModelTestKit.Small());
        var groups = model.ParameterGroups;
        Assert.Equal(["encoder", "heads.seg", "heads.depth", "heads.normal", "heads.curvature"], groups.All.Select(g => g.Name));
        Assert.Equal(model.Encoder.ParameterCount, groups.Encoder.Size);
        Assert.Equal(model.Head("normal").ParameterCount, groups["heads.normal"].Size);
        Assert.All(groups["heads.seg"].Members, m => Assert.StartsWith("heads.seg.", m.Path));
        Assert.Empty(groups.Auxiliary);
    }

    [Fact]
    public void GroupingKeepsThePredictions()
    {
        using var model = new HardSharingModel(ModelTestKit.Small());
        model.Eval();
        using var scope = DisposeScope.Enter();
        var x = ModelTestKit.Input(2, 16, 16);
        var before = model.Forward(x).Predictions["seg"].ToArray<float>();
        _ = model.ParameterGroups;
        Assert.Equal(before, model.Forward(x).Predictions["seg"].ToArray<float>());
    }

    [Fact]
    public void HardSharingNamesFollowLibMtlsEncoderAndPerTaskModules()
    {
        using var model = new HardSharingModel(ModelTestKit.Small());
        var keys = model.StateDict().Select(e => e.Path).ToList();
        Assert.Equal("encoder.conv1.weight", keys[0]);
        Assert.Contains("encoder.layer3.0.downsample.1.running_var", keys);
        Assert.Contains("heads.depth.3.bias", keys);
        Assert.Equal("heads.curvature.3.bias", keys[^1]);
    }

    [Fact]
    public void AnInputWithTheWrongChannelsIsRefusedNamingTheArchitecture()
    {
        using var model = ArchitectureRegistry.Create("cross_stitch", ModelTestKit.Small());
        using var scope = DisposeScope.Enter();
        var e = Assert.Throws<ShapeException>(() => model.Forward(Tensors.Zeros(new Shape(2, 1, 16, 16))));
        Assert.Equal("cross_stitch: input [2, 1, 16, 16] must be [N, 3, H, W]", e.Message);
    }

    [Fact]
    public void TasksWithTheSameNameAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new HardSharingModel(ModelTestKit.Small([TaskSpec.Depth(), TaskSpec.Depth()])));
        Assert.Equal("hps: task 'depth' is listed twice", e.Message);
    }

    [Fact]
    public void TheAsppHeadWorksOnTheSmallEncoder()
    {
        using var model = new HardSharingModel(ModelTestKit.Small([TaskSpec.Segmentation(3)]) with { Head = "aspp" });
        using var scope = DisposeScope.Enter();
        Assert.Equal(new Shape(2, 3, 16, 16), model.Forward(ModelTestKit.Input(2, 16, 16)).Predictions["seg"].Shape);
        Assert.IsType<DeepLabHead>(model.Head("seg"));
    }
}

public class FullSharingTests
{
    [Fact]
    public void OneDecoderEmitsEveryTasksChannelsAndEachTaskGetsItsSlice()
    {
        using var model = new FullSharingModel(ModelTestKit.Small());
        model.Eval();
        using var scope = DisposeScope.Enter();
        var output = model.Forward(ModelTestKit.Input(2, 16, 24));
        var all = F.UpsampleBilinear2d(model.Decoder.Forward(output.SharedFeature), 16, 24);
        Assert.Equal(5 + 1 + 3 + 2, all.Shape[1]);
        Assert.Equal(F.Slice(all, 1, 0, 5).ToArray<float>(), output.Predictions["seg"].ToArray<float>());
        Assert.Equal(F.Slice(all, 1, 5, 6).ToArray<float>(), output.Predictions["depth"].ToArray<float>());
        Assert.Equal(F.Slice(all, 1, 9, 11).ToArray<float>(), output.Predictions["curvature"].ToArray<float>());
        var normal = F.Slice(all, 1, 6, 9);
        TestData.Close(F.Div(normal, F.Norm(normal, [1], keepDims: true)).ToArray<float>().Select(v => (double)v).ToArray(),
            output.Predictions["normal"].ToArray<float>().Select(v => (double)v).ToArray(), 1e-5);
    }

    [Fact]
    public void GroupsAreTheEncoderAndTheSharedDecoder()
    {
        using var model = new FullSharingModel(ModelTestKit.Small());
        Assert.Equal(["encoder", "decoder"], model.ParameterGroups.All.Select(g => g.Name));
        Assert.Equal(new Shape(11, 8, 1, 1), model.NamedParameters().Single(p => p.Path == "decoder.3.weight").Parameter.Shape);
    }
}

public class CrossStitchTests
{
    [Fact]
    public void UnitsStartNearTheIdentityWithRowsSummingToOne()
    {
        using var unit = new CrossStitchUnit(3, 0.9, new BuildContext(new Generator(1)));
        var expected = new[] { 0.9f, 0.05f, 0.05f, 0.05f, 0.9f, 0.05f, 0.05f, 0.05f, 0.9f };
        Assert.Equal(expected, unit.Weight.Value.ToArray<float>());
        using var two = new CrossStitchUnit(2, 0.9, new BuildContext(new Generator(1)));
        Assert.Equal([0.9f, 0.1f, 0.1f, 0.9f], two.Weight.Value.ToArray<float>());
    }

    [Fact]
    public void AUnitMixesSameStageActivationsByItsWeights()
    {
        using var unit = new CrossStitchUnit(2, 0.75, new BuildContext(new Generator(1)));
        using var scope = DisposeScope.Enter();
        var a = Tensors.FromArray([1f, 2, 3, 4], 1, 2, 1, 2);
        var b = Tensors.FromArray([10f, 20, 30, 40], 1, 2, 1, 2);
        var mixed = unit.Forward([a, b]);
        Assert.Equal([0.75f * 1 + 0.25f * 10, 0.75f * 2 + 0.25f * 20, 0.75f * 3 + 0.25f * 30, 0.75f * 4 + 0.25f * 40], mixed[0].ToArray<float>());
        Assert.Equal([0.25f * 1 + 0.75f * 10, 0.25f * 2 + 0.75f * 20, 0.25f * 3 + 0.75f * 30, 0.25f * 4 + 0.75f * 40], mixed[1].ToArray<float>());
        Assert.Equal(new Shape(1, 2, 1, 2), mixed[1].Shape);
    }

    [Fact]
    public void AUnitLearnsItsWeightsFromTheMixedOutputs()
    {
        using var unit = new CrossStitchUnit(2, 0.9, new BuildContext(new Generator(1)));
        using var scope = DisposeScope.Enter();
        var mixed = unit.Forward([Tensors.FromArray([1f, 2], 1, 1, 1, 2), Tensors.FromArray([3f, 4], 1, 1, 1, 2)]);
        F.Sum(mixed[0]).Backward();
        // d/dα_0j of Σ(α_00·a + α_01·b) is Σa, Σb; row 1 is unused.
        Assert.Equal([3f, 7, 0, 0], unit.Weight.Value.Grad!.ToArray<float>());
    }

    [Theory]
    [InlineData(0.9, true)]
    [InlineData(1.0, false)]
    public void ATasksLossReachesTheOtherColumnsOnlyThroughTheUnits(double selfWeight, bool reaches)
    {
        using var model = new CrossStitchModel(ModelTestKit.Small([TaskSpec.Depth(), TaskSpec.Normal()]) with { CrossStitchSelfWeight = selfWeight });
        using var scope = DisposeScope.Enter();
        ModelTestKit.Probe([model.Forward(ModelTestKit.Input(2, 16, 16)).Predictions["depth"]]).Backward();
        var other = model.Column("normal").NamedParameters().Single(p => p.Path == "conv1.weight").Parameter.Value.Grad;
        Assert.Equal(reaches, other is not null && other.ToArray<float>().Any(g => g != 0));
    }

    [Fact]
    public void ColumnsAndUnitsFormTheEncoderGroupAndEachTaskHasAHead()
    {
        using var model = new CrossStitchModel(ModelTestKit.Small([TaskSpec.Depth(), TaskSpec.Normal()]));
        var groups = model.ParameterGroups;
        Assert.Equal(["encoder", "heads.depth", "heads.normal"], groups.All.Select(g => g.Name));
        Assert.Equal(3, model.Stitches.Count);
        Assert.Equal(2 * model.Column("depth").ParameterCount + 3 * 4, groups.Encoder.Size);
        Assert.Contains(groups.Encoder.Members, m => m.Path == "stitches.2.weight");
        Assert.Contains(groups.Encoder.Members, m => m.Path == "columns.normal.layer1.0.conv1.weight");
    }

    [Fact]
    public void AuxiliaryModulesAreRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => new CrossStitchModel(ModelTestKit.Small() with { Auxiliary = new AuxiliaryOptions() }));
        Assert.Equal("cross_stitch: auxiliary modules need one shared encoder; use hps or full_sharing", e.Message);
    }

    /// <summary>GradNorm's W: the encoder's last convolution on the main path. In these one-block stages the last
    /// block also has a shortcut convolution, registered after conv2, which is not it.</summary>
    [Theory]
    [InlineData("hps", new[] { "encoder.layer3.0.conv2.weight" })]
    [InlineData("full_sharing", new[] { "encoder.layer3.0.conv2.weight" })]
    [InlineData("cross_stitch", new[] { "columns.seg.layer3.0.conv2.weight", "columns.depth.layer3.0.conv2.weight",
        "columns.normal.layer3.0.conv2.weight", "columns.curvature.layer3.0.conv2.weight" })]
    public void TheLastSharedLayerIsTheLastConvolutionOfTheMainPath(string name, string[] paths)
    {
        using var model = ArchitectureRegistry.Create(name, ModelTestKit.Small());
        var byParameter = model.NamedParameters().ToDictionary(p => p.Parameter, p => p.Path);
        Assert.Equal(paths, model.LastSharedLayer.Select(p => byParameter[p]));
        Assert.Contains(byParameter.Values, path => path.EndsWith("layer3.0.downsample.0.weight", StringComparison.Ordinal));
    }

    /// <summary>Bottleneck blocks end in conv3.</summary>
    [Fact]
    public void AResNet50EncodersLastLayerIsItsLastBlocksThirdConvolution()
    {
        using var encoder = EncoderRegistry.Create("resnet50", new EncoderOptions(), new BuildContext(new Generator(1)));
        var byParameter = encoder.NamedParameters().ToDictionary(p => p.Parameter, p => p.Path);
        Assert.Equal("layer4.2.conv3.weight", byParameter[encoder.LastLayer.Weight]);
    }
}
