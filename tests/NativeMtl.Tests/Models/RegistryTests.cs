using NativeMtl.Models;

namespace NativeMtl.Tests.Models;

public class RegistryTests
{
    [Fact]
    public void BuiltInArchitecturesEncodersAndHeadsAreRegisteredByName()
    {
        Assert.Equal(["cross_stitch", "full_sharing", "hps"], ArchitectureRegistry.Names);
        Assert.Contains("resnet50", EncoderRegistry.Names);
        Assert.Contains("resnet_small", EncoderRegistry.Names);
        Assert.Equal(["aspp", "conv"], HeadRegistry.Names);
    }

    [Fact]
    public void CreateBuildsTheArchitectureNamed()
    {
        using var hps = ArchitectureRegistry.Create("hps", ModelTestKit.Small());
        using var full = ArchitectureRegistry.Create("full_sharing", ModelTestKit.Small());
        using var stitch = ArchitectureRegistry.Create("cross_stitch", ModelTestKit.Small());
        Assert.IsType<HardSharingModel>(hps);
        Assert.IsType<FullSharingModel>(full);
        Assert.IsType<CrossStitchModel>(stitch);
    }

    [Fact]
    public void AnUnknownNameIsRefusedWithTheKnownNames()
    {
        var e = Assert.Throws<ArgumentException>(() => ArchitectureRegistry.Create("mtan", ModelTestKit.Small()));
        Assert.Equal("architecture registry: unknown name 'mtan' (known: cross_stitch, full_sharing, hps)", e.Message);
        e = Assert.Throws<ArgumentException>(() => HeadRegistry.Create("fcn", new HeadOptions { InChannels = 4, OutChannels = 1 }, new BuildContext(new Generator(1))));
        Assert.Equal("head registry: unknown name 'fcn' (known: aspp, conv)", e.Message);
    }

    [Fact]
    public void RegisteringABuiltInNameAgainIsRefused()
    {
        var e = Assert.Throws<ArgumentException>(() => ArchitectureRegistry.Register("hps", o => new HardSharingModel(o)));
        Assert.Equal("architecture registry: 'hps' is already registered", e.Message);
        e = Assert.Throws<ArgumentException>(() => EncoderRegistry.Register("resnet50", ResNet.ResNet50));
        Assert.Equal("encoder registry: 'resnet50' is already registered", e.Message);
    }

    [Fact]
    public void ARegistryRefusesDuplicatesAndBlankNames()
    {
        var registry = new Registry<Func<int>>("widget");
        registry.Register("a", () => 1);
        Assert.Equal("widget registry: 'a' is already registered", Assert.Throws<ArgumentException>(() => registry.Register("a", () => 2)).Message);
        Assert.Equal("widget registry: 'a b' is not a valid name", Assert.Throws<ArgumentException>(() => registry.Register("a b", () => 2)).Message);
        Assert.Equal(1, registry.Get("a")());
    }

    [Fact]
    public void ARegisteredEncoderIsUsableByNameInAnArchitecture()
    {
        EncoderRegistry.Register("resnet_tiny_test", (o, c) => ResNet.Small(o with { Widths = [4, 8], Blocks = [1, 1] }, c));
        using var model = ArchitectureRegistry.Create("hps", ModelTestKit.Small([TaskSpec.Depth()]) with { Encoder = "resnet_tiny_test" });
        Assert.Equal(8, ((HardSharingModel)model).Encoder.OutChannels);
    }
}
