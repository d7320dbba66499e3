using NativeMtl.Data;
using NativeMtl.Kernels;
using NativeMtl.Models;

namespace NativeMtl.Balancers;

/// <summary>What a balancer step benchmark trains: the encoder and head by registry name, the input size and batch, and
/// the tasks (<see cref="DenseTask.Known"/> names, the first main, the others auxiliary; seg, depth and normal by default).</summary>
public sealed record StepBenchConfig(string Encoder = "resnet_small", string Head = "conv", int Height = 96, int Width = 128, int Batch = 8,
    IReadOnlyList<int>? Widths = null, IReadOnlyList<string>? Tasks = null, bool Pose = false)
{
    public IReadOnlyList<string> TaskNames => Tasks ?? (Pose ? DenseTask.KnownOnPose : ["seg", "depth", "normal"]);

    /// <summary>configs/pose.yaml's step: the small ResNet on 64×64 object crops, the pose task main and the free
    /// auxiliary tasks.</summary>
    public static StepBenchConfig PoseCrops { get; } = new(Height: 64, Width: 64, Pose: true);

    /// <summary>DESIGN.md's GPU reference: ResNet-50 with dilation, ASPP heads, batch 8 at 288×384.</summary>
    public static StepBenchConfig Reference { get; } = new("resnet50", "aspp", 288, 384, 8);
}

/// <summary>What one training step holds. <see cref="StepPeakBytes"/> is its tensor peak beyond what lives between steps;
/// <see cref="AtPeak"/> splits it (saved for backward by op kind, balancer buffers, transients), <see cref="BetweenSteps"/>
/// splits what lives between steps (parameters, gradients, optimizer state, batch). <see cref="SavedBytes"/> is the most
/// that graph nodes held at once, each storage once and parameters included, as PyTorch's saved-tensor hooks count;
/// <see cref="WorkspaceBytes"/> the backends' scratch (im2col, GEMM packing, cuDNN), outside the tensor counters.</summary>
public sealed record StepMemory(long StepPeakBytes, MemoryBreakdown AtPeak, MemoryBreakdown BetweenSteps, long SavedBytes, long WorkspaceBytes);

/// <summary>
/// One balancer's training step on a fixed batch of synthetic scenes (segmentation main and depth and normals
/// auxiliary unless the config names other tasks) with the hard-sharing model, for timing and for peak memory.
/// Every balancer sees the same model (same seed), the same batch and the same optimizer.
/// </summary>
public sealed class BalancerStepBench : IDisposable
{
    private readonly MtlModel _model;
    private readonly MultiTaskStep _step;
    private readonly DenseTaskObjective _objective;
    private readonly DenseBatch _batch, _lookAhead;

    public BalancerStepBench(BalancerSpec balancer, Device device, StepBenchConfig config)
    {
        Device = device;
        var tasks = config.TaskNames.Select((name, i) =>
        {
            var role = i == 0 ? TaskRole.Main : TaskRole.Auxiliary;
            return config.Pose ? DenseTask.CreateOnPose(name, role) : DenseTask.Create(name, role, SceneClasses.Count);
        }).ToArray();
        _model = ArchitectureRegistry.Create("hps", new ArchitectureOptions
        {
            Tasks = tasks.Select(t => t.Spec).ToList(),
            Encoder = config.Encoder,
            EncoderOptions = new EncoderOptions { Widths = config.Widths },
            Head = config.Head,
            Seed = 1,
            Device = device,
        });
        IDenseDataset scenes = config.Pose
            ? new PoseCrops(seed: 2, SceneSplit.Train, 2 * config.Batch, config.Height, config.Width)
            : new SyntheticScenes(seed: 2, height: config.Height, width: config.Width, count: 2 * config.Batch);
        using (var loader = new BatchLoader(scenes, new BatchLoaderOptions { BatchSize = config.Batch, Device = device }))
        {
            _batch = loader.Next()!.DetachFromScope();
            _lookAhead = loader.Next()!.DetachFromScope();
        }
        var chosen = BalancerRegistry.Create(balancer.Name, SteadyState(balancer));
        _objective = new DenseTaskObjective(_model, tasks, chosen.PerClassBins ?? DenseTaskObjective.DefaultBins) { Batch = _batch, LookAheadBatch = _lookAhead };
        _step = new MultiTaskStep(_model, tasks.Select(t => new BalancedTask(t.Name, t.Role)).ToList(), chosen,
            groups => new Sgd(groups, new SgdOptions(1e-3, Momentum: 0.9)), stepsPerEpoch: 1000, totalSteps: 1_000_000, _objective.ClassCounts);
    }

    public BalancerStepBench(string balancer, Device device, StepBenchConfig config) : this(BalancerSpec.Parse(balancer), device, config)
    {
    }

    public Device Device { get; }

    /// <summary>The spec's options, and for class-wise weights no warm-up (unless given), so that every step does a
    /// balancer's full work: during the warm-up a step is a plain weighted backward pass.</summary>
    private static BalancerOptions SteadyState(BalancerSpec balancer)
    {
        var options = new Dictionary<string, object?>(balancer.Options);
        if (balancer.Name == "classwise") options.TryAdd("warmup", 0.0);
        return new BalancerOptions(options);
    }

    public long ParameterCount => _model.ParameterCount;

    /// <summary>P: the shared encoder's parameters, the length of one per-task gradient row.</summary>
    public long EncoderParameterCount => _model.ParameterGroups.Encoder.Size;

    /// <summary>One training step, waited for; its intermediates are freed before it returns.</summary>
    public void Step()
    {
        using (DisposeScope.Enter()) _step.Run(_objective);
        Backends.For(Device).Synchronize();
    }

    /// <summary>One step's memory: its peak beyond what lives between steps (model, optimizer, batch), where that
    /// peak's bytes were, and what lives between steps.</summary>
    public StepMemory MeasureStep()
    {
        var before = MemoryCounters.Breakdown;
        MemoryCounters.ResetPeaks();
        WorkspaceCounters.ResetPeak();
        Step();
        return new StepMemory(MemoryCounters.PeakBytes - before.Total, MemoryCounters.PeakBreakdown.Minus(before), BetweenSteps(),
            MemoryCounters.PeakSavedBytes, WorkspaceCounters.PeakBytes);
    }

    /// <summary>What this bench holds between steps, from its own tensors (the process-wide counters also hold
    /// every other bench set up beside it).</summary>
    private MemoryBreakdown BetweenSteps()
    {
        static long Size(IEnumerable<Tensor> tensors) => tensors.Sum(t => t.Count * t.DType.SizeInBytes());
        var groups = _step.Optimizer.Groups;
        var batches = new[] { _batch, _lookAhead }.SelectMany(b => new[] { b.Image, b.Labels, b.Depth, b.Normals, b.Curvature, b.Instances, b.ObjectCoordinates })
            .OfType<Tensor>();
        return MemoryBreakdown.Empty with
        {
            Parameters = Size(groups.Select(g => g.Values)),
            Gradients = Size(groups.Select(g => g.Grads)),
            OptimizerState = Size(_step.Optimizer.State().Select(s => s.State)),
            BalancerBuffers = Size(_step.Balancer.State().Select(s => s.State)),
            Data = Size(batches),
        };
    }

    /// <summary>Writes what a peer implementation needs to rebuild this benchmark and check its forward pass: the
    /// model's exported weights under PyTorch's names, the batch ("input", "target.&lt;task&gt;") and the
    /// evaluation-mode predictions ("output.&lt;task&gt;"), as one safetensors file.</summary>
    public void WritePeerFile(string path, StepBenchConfig config)
    {
        using var scope = DisposeScope.Enter();
        _model.Eval();
        MtlOutput output;
        using (GradMode.NoGrad()) output = _model.Forward(_batch.Image);
        _model.Train();
        var tensors = _model.ExportedStateDict()
            .Append(("input", _batch.Image))
            .Concat(_objective.Tasks.Select(t => ($"target.{t.Name}", t.Target(_batch))))
            .Concat(output.Predictions.Select(p => ($"output.{p.Key}", p.Value)));
        SafeTensors.Write(path, tensors, new Dictionary<string, string>
        {
            ["encoder"] = config.Encoder,
            ["head"] = config.Head,
            ["tasks"] = string.Join(",", _objective.Tasks.Select(t => $"{t.Name}:{t.Spec.Channels}:{t.Role}")),
        });
    }

    public void Dispose()
    {
        _step.Dispose();
        _model.Dispose();
        _batch.Dispose();
        _lookAhead.Dispose();
    }
}
