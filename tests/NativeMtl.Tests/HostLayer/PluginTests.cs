using NativeMtl.Balancers;
using NativeMtl.Data;
using NativeMtl.Host;
using NativeMtl.Host.Config;
using NativeMtl.Models;

namespace NativeMtl.Tests.HostLayer;

/// <summary>This test assembly as a plug-in: a balancer that halves the auxiliary tasks and a second segmentation task.</summary>
public sealed class TestPlugin : INativeMtlPlugin
{
    public void Register()
    {
        BalancerRegistry.Register<HalfAuxiliaryBalancer>("test_half_auxiliary", _ => new HalfAuxiliaryBalancer());
        TaskRegistry.Register("test_seg", r => new DenseTask(TaskSpec.Segmentation(r.Classes, "test_seg"), r.Role, new CrossEntropyLoss(-1), b => b.Labels,
            Metric: () => new SegmentationMetric(r.Classes)));
    }
}

/// <summary>L = L_main + ½ Σ L_aux.</summary>
public sealed class HalfAuxiliaryBalancer : Balancer
{
    private Tensor? _weights;

    public override GradientLevel Level => GradientLevel.Losses;

    public override Tensor Weights => _weights!;

    protected override void OnAttach() => _weights = Vector(Tasks.Select(t => t.Role == TaskRole.Main ? 1.0 : 0.5).ToArray());

    public override void Backward(StepContext step) => step.Backward(step.WeightedSum(Weights));

    public override void Dispose() => _weights?.Dispose();
}

/// <summary>Registers a balancer name that is taken; not public, so loading the assembly does not run it.</summary>
internal sealed class DuplicatePlugin : INativeMtlPlugin
{
    public void Register() => BalancerRegistry.Register<DuplicateBalancer>("equal", _ => new DuplicateBalancer());

    private sealed class DuplicateBalancer : Balancer
    {
        public override GradientLevel Level => GradientLevel.Losses;

        public override Tensor Weights => throw new NotSupportedException();

        public override void Backward(StepContext step) => throw new NotSupportedException();
    }
}

/// <summary>`--plugin` and the config's `plugins`: balancers and tasks from a user assembly. Loading one registers names
/// in the process-wide registries for good, so these tests run in a collection of their own without parallelization,
/// which xunit runs after the parallel tests, some of which pin the built-in names' lists.</summary>
[Collection(nameof(PluginCollection))]
public class PluginTests
{
    private static readonly string Assembly = typeof(TestPlugin).Assembly.Location;

    [Fact]
    public void APluginsBalancerAndTaskTrainAndTheRunKeepsThePluginForResume()
    {
        using var folder = new TempFolder();
        folder.Write("tiny.yaml", TrainTestKit.TinyConfig);
        var (code, output, error) = TrainTestKit.Run("train", "--config", folder["tiny.yaml"], "--plugin", Assembly, "--balancer", "test_half_auxiliary",
            "--set", "tasks={test_seg: main, depth: auxiliary}", "--set", "training.steps=2", "--out", folder["run"]);
        Assert.True(code == 0, output + error);
        var metrics = File.ReadAllText(Path.Combine(folder["run"], "metrics.jsonl"));
        Assert.Contains("\"weight\":{\"test_seg\":1,\"depth\":0.5}", metrics);
        Assert.Contains("\"test_seg\":{\"miou\":", metrics);
        Assert.Contains($"plugins:\n- {Assembly}\n", File.ReadAllText(Path.Combine(folder["run"], "config.yaml")));
        Assert.Equal(0, TrainTestKit.Run("train", "--resume", folder["run"], "--steps", "3").Code);
    }

    [Fact]
    public void ANameAlreadyTakenIsRefusedNamingTheAssemblyAndTheClass()
    {
        var e = Assert.Throws<ConfigException>(() => PluginLoader.Activate(typeof(DuplicatePlugin), "/plugins/mine.dll"));
        Assert.Equal($"plugin /plugins/mine.dll: {typeof(DuplicatePlugin).FullName}.Register: balancer registry: 'equal' is already registered", e.Message);
    }

    [Fact]
    public void AFileThatIsNotAnAssemblyIsOneLineNamingIt()
    {
        using var folder = new TempFolder();
        var broken = folder.Write("broken.dll", "not an assembly");
        var (code, _, error) = TrainTestKit.Run("train", "--plugin", broken, "--print-config");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.StartsWith($"nativemtl train: plugin {broken}: cannot be loaded (", error.Trim());
        Assert.Single(error.Trim().Split('\n'));
    }

    [Fact]
    public void AMissingPluginInTheConfigNamesItsLine()
    {
        using var folder = new TempFolder();
        var config = folder.Write("c.yaml", "plugins: [missing.dll]\n");
        var (code, _, error) = TrainTestKit.Run("train", "--config", config, "--print-config");
        Assert.Equal(ExitCodes.Usage, code);
        Assert.Equal($"nativemtl train: config {config} line 1: plugins: plugin {folder["missing.dll"]}: no such file", error.Trim());
    }
}

[CollectionDefinition(nameof(PluginCollection), DisableParallelization = true)]
public class PluginCollection;
