using System.Diagnostics;
using System.Text.Json.Nodes;
using NativeMtl.Balancers;
using NativeMtl.Data;
using NativeMtl.Host.Config;
using NativeMtl.Models;
using NativeMtl.Raw;

namespace NativeMtl.Host.Training;

/// <summary>How a call of <see cref="Trainer.Run"/> ended.</summary>
internal enum TrainOutcome
{
    /// <summary>Every step ran; final metrics, weights and report are written.</summary>
    Completed,

    /// <summary>Stopped between steps (Ctrl-C, SIGTERM, or the requested stop step) with a checkpoint to resume from.</summary>
    Interrupted,

    /// <summary>A task loss was not finite; see the message for the step, the task and what was saved.</summary>
    Diverged,
}

internal sealed record TrainResult(TrainOutcome Outcome, int Step, string Message, ValidationMetrics? Final = null);

/// <summary>What the training loop tells the person watching: every step, every log line and validation.</summary>
internal interface ITrainingProgress
{
    void Started(int step, int totalSteps, IReadOnlyList<string> tasks);

    void Stepped(int step, IReadOnlyList<double> losses, double imagesPerSecond);

    void Logged(TrainRecord record);

    void Validating(int step);

    void Validated(ValidationRecord record);
}

/// <summary>
/// One training run of a config: the datasets, tasks, model, balancer, optimizer and schedule it describes, built
/// and checked before anything is written; then the loop that trains, logs, validates and checkpoints into a run
/// folder, and stops cleanly between steps when asked. On the CPU every step is bitwise reproducible, so a run
/// restored from a checkpoint (<see cref="Restore"/>) continues exactly as the uninterrupted run would have.
/// </summary>
internal sealed class Trainer : IDisposable
{
    private readonly IDenseDataset _train, _validation;
    private readonly DenseTaskObjective _objective;
    private readonly CheckedObjective _checked;
    private readonly ILearningRateSchedule _schedule;
    private readonly (Tensor Buffer, Tensor Copy)[] _buffers;
    private readonly string _configYaml, _configHash;
    private TrainingPosition _start = new(0, 0, 0);
    private double[] _lossSums = [];
    private int _lossSteps;

    public Trainer(TrainConfig config, Device device)
    {
        Config = config;
        Device = device;
        _train = RunSetup.TrainingSet(config);
        _validation = RunSetup.ValidationSet(config);
        Classes = RunSetup.Classes(config);
        if (_validation.Height != _train.Height || _validation.Width != _train.Width)
            throw new RunInputException($"validation samples are {_validation.Height}×{_validation.Width}, training samples {_train.Height}×{_train.Width}; both splits need one size");
        // The encoder's features must be at least 2×2: smaller inputs give batch statistics of single values.
        int smallest = 2 * config.Model.OutputStride;
        if (_train.Height < smallest || _train.Width < smallest)
            throw new ConfigException($"images of {_train.Height}×{_train.Width} are too small for the model: at output stride {config.Model.OutputStride} it needs at least {smallest}×{smallest} (data.height, data.width)");
        Tasks = RunSetup.Tasks(config);
        var batchesPerEpoch = _train.Count / config.Training.BatchSize;
        if (batchesPerEpoch == 0)
            throw new ConfigException($"training.batch_size {config.Training.BatchSize} is larger than the {_train.Count} training samples");
        var balancer = BalancerRegistry.Create(config.Balancer.Name, config.Balancer.ToOptions());
        BatchesPerStep = balancer.Level == GradientLevel.LookAhead ? 2 : 1;
        StepsPerEpoch = (int)Math.Max(1, Math.Min(int.MaxValue, batchesPerEpoch / BatchesPerStep));
        long total = config.Training.Steps ?? (long)config.Training.Epochs!.Value * StepsPerEpoch;
        if (total > int.MaxValue)
            throw new ConfigException($"training.epochs {config.Training.Epochs} of {StepsPerEpoch} steps make {total} steps, more than the {int.MaxValue} a run can take");
        TotalSteps = (int)total;
        Model = RunSetup.Model(config, Tasks, device);
        _objective = new DenseTaskObjective(Model, Tasks, balancer.PerClassBins ?? DenseTaskObjective.DefaultBins);
        _checked = new CheckedObjective(_objective);
        try
        {
            Step = new MultiTaskStep(Model, Tasks.Select(t => new BalancedTask(t.Name, t.Role)).ToList(), balancer,
                groups => RunSetup.Optimizer(config.Optimizer, groups), StepsPerEpoch, TotalSteps, _objective.ClassCounts);
        }
        catch (ArgumentException e)
        {
            balancer.Dispose();
            Model.Dispose();
            throw new ConfigException($"balancer: {e.Message}");
        }
        _schedule = RunSetup.Schedule(config, TotalSteps);
        _buffers = Model.NamedBuffers().Select(b => (b.Buffer, Ops.Clone(b.Buffer).DetachFromScope())).ToArray();
        _configYaml = ConfigWriter.ToYaml(config);
        _configHash = ConfigWriter.Hash(config);
    }

    public TrainConfig Config { get; }

    public Device Device { get; }

    public IReadOnlyList<DenseTask> Tasks { get; }

    public int Classes { get; }

    public MtlModel Model { get; }

    public MultiTaskStep Step { get; }

    public int TotalSteps { get; }

    public int StepsPerEpoch { get; }

    /// <summary>Training batches each step takes: two for look-ahead balancers (the second is Auto-λ's look-ahead batch).</summary>
    public int BatchesPerStep { get; }

    /// <summary>
    /// What the training steps will still allocate, in bytes, beyond the model and optimizer already built: the step's
    /// activations, scaled from one forward and backward pass on a single 64×64 image (they grow with the pixels), the
    /// balancer's buffers (a K×P matrix at the parameters level, a copy of θ for a look-ahead), and the batches in
    /// flight (four, host and device). The probe leaves weights, gradients, statistics and random stream as they were.
    /// </summary>
    public (long Activations, long Balancer, long Batches) EstimateStepMemory()
    {
        const int side = 64;
        ulong draws = Model.Generator.Offset;
        long activations;
        using (Model.KeepingBuffers())
        using (var scope = DisposeScope.Enter())
        {
            var x = Tensors.Zeros(new Shape(1, Model.InChannels, side, side), device: Device);
            long before = MemoryCounters.LiveBytes;
            MemoryCounters.ResetPeaks();
            var output = Model.Forward(x);
            output.Predictions.Values.Concat(output.AuxiliaryPredictions.Values).Select(p => F.Mean(p)).Aggregate(F.Add).Backward();
            activations = MemoryCounters.PeakBytes - before;
        }
        Model.Generator.Offset = draws;
        Step.Optimizer.ZeroGrad();

        long pixels = (long)Config.Training.BatchSize * _train.Height * _train.Width;
        long encoder = Model.ParameterGroups.Encoder.Size * 4, all = Model.ParameterGroups.All.Sum(g => g.Size) * 4;
        long balancer = Step.Balancer.Level switch
        {
            GradientLevel.Parameters => Tasks.Count * encoder,
            GradientLevel.LookAhead => all,
            _ => 0,
        };
        // A sample carries up to 14 values a pixel (image 3, labels, depth, normals 3, curvature 2, instances, coordinates 3).
        long batches = 4L * BatchesPerStep * pixels * 14 * 4;
        return ((long)(activations * (double)pixels / (side * side)), balancer, batches);
    }

    /// <summary>Restores a checkpoint of this config (when <paramref name="extending"/>, of this config with another
    /// length) whose position fits this run; the next <see cref="Run"/> continues after its step.</summary>
    public TrainingPosition Restore(string checkpoint, bool extending = false)
    {
        var (position, hash, yaml) = TrainingCheckpoint.Read(checkpoint);
        if (hash != _configHash && !(extending && yaml is not null && SameExceptLength(checkpoint, yaml)))
            throw new CheckpointException(checkpoint, "it was written with another config than the run's config.yaml (config hashes differ); a run continues only with the config it started with");
        if (position.Step < 0 || position.Step > TotalSteps)
            throw new CheckpointException(checkpoint, $"its step {position.Step} is outside this run's 0 to {TotalSteps} steps");
        if (position.DataPosition != (long)position.Step * BatchesPerStep)
            throw new CheckpointException(checkpoint, $"its data position {position.DataPosition} does not match its step {position.Step} ({BatchesPerStep} batch(es) a step)");
        if (position.LossSteps < 0 || position.LossSteps > position.Step || position.LossSums is { Count: > 0 } sums && sums.Count != Tasks.Count)
            throw new CheckpointException(checkpoint, $"its running loss ({position.LossSteps} steps, {position.LossSums?.Count ?? 0} tasks) does not fit this run's {Tasks.Count} tasks");
        TrainingCheckpoint.Load(checkpoint, position, Model, Step);
        _start = position;
        return position;
    }

    /// <summary>Whether a checkpoint's config is this one but for its length (training.steps and training.epochs).</summary>
    private bool SameExceptLength(string checkpoint, string yaml)
    {
        TrainConfig written;
        try
        {
            written = ConfigReader.Parse(yaml, $"checkpoint {checkpoint}", []);
        }
        catch (ConfigException)
        {
            return false;
        }
        string Lengthless(TrainConfig c) => ConfigWriter.Hash(c with { Training = c.Training with { Steps = 1, Epochs = null } });
        return Lengthless(written) == Lengthless(Config);
    }

    /// <summary>Trains until the last step, the step <paramref name="stopAt"/>, or a cancellation, whichever comes
    /// first; every ending leaves a checkpoint to resume from except a divergence past saving.</summary>
    public TrainResult Run(RunFolder folder, ITrainingProgress progress, CancellationToken cancellation, int? stopAt = null)
    {
        var info = RunInfo.Begin(folder.Info, Model.ParameterCount, TotalSteps, Config.Balancer.Name, Step.Steps, Bench.DeviceChoice.Describe(Device));
        info.Write(folder.Info);
        var peak = RunPeakMemory.Begin();
        try
        {
            return Train(folder, progress, cancellation, stopAt);
        }
        finally
        {
            info.End(Step.Steps, peak.End()).Write(folder.Info);
        }
    }

    private TrainResult Train(RunFolder folder, ITrainingProgress progress, CancellationToken cancellation, int? stopAt)
    {
        Directory.CreateDirectory(folder.CheckpointFolder);
        int limit = Math.Min(TotalSteps, stopAt ?? TotalSteps);
        var taskNames = Tasks.Select(t => t.Name).ToList();
        _lossSums = _start.LossSums is { Count: > 0 } restored ? restored.ToArray() : new double[Tasks.Count];
        _lossSteps = _start.LossSteps;
        long images = 0;
        var clock = Stopwatch.StartNew();
        using var loader = new BatchLoader(_train, RunSetup.TrainingLoader(Config, Device, _start.DataPosition));
        using var log = new MetricsLog(folder.Metrics);
        progress.Started(Step.Steps, TotalSteps, taskNames);
        ValidationMetrics? last = null;
        while (Step.Steps < limit)
        {
            if (cancellation.IsCancellationRequested) return Interrupted(folder, "interrupted");
            int done = Step.Steps;
            var before = Position();
            Step.Optimizer.LearningRate = _schedule.At(done);
            foreach (var (buffer, copy) in _buffers) Ops.CopyInto(buffer, copy);
            double[] losses, weights;
            using (DisposeScope.Enter())
            {
                DenseBatch batch;
                DenseBatch? ahead;
                try
                {
                    batch = loader.Next(cancellation)!;
                    ahead = BatchesPerStep == 2 ? loader.Next(cancellation) : null;
                }
                catch (OperationCanceledException)
                {
                    return Interrupted(folder, "interrupted");
                }
                _objective.Batch = batch;
                _objective.LookAheadBatch = ahead;
                _checked.Armed = true;
                StepResult result;
                try
                {
                    result = Step.Run(_checked);
                }
                catch (NonFiniteLossException e)
                {
                    foreach (var (buffer, copy) in _buffers) Ops.CopyInto(copy, buffer);
                    Model.Generator.Offset = before.GeneratorOffset;
                    return Diverged(folder, e, done + 1, before);
                }
                losses = Doubles(result.Losses);
                weights = (done + 1) % Config.Training.LogEvery == 0 || done + 1 == TotalSteps ? Doubles(result.Weights) : [];
            }
            int step = done + 1;
            images += Config.Training.BatchSize;
            for (int k = 0; k < losses.Length; k++) _lossSums[k] += losses[k];
            _lossSteps++;
            progress.Stepped(step, losses, images / Math.Max(clock.Elapsed.TotalSeconds, 1e-9));
            if (weights.Length > 0)
            {
                var record = new TrainRecord(step, Epoch(step), Step.Optimizer.LearningRate,
                    taskNames.Select((t, k) => (t, _lossSums[k] / _lossSteps, weights[k])).ToList(), images / Math.Max(clock.Elapsed.TotalSeconds, 1e-9));
                log.Append(record);
                progress.Logged(record);
                Array.Clear(_lossSums);
                _lossSteps = 0;
                images = 0;
                clock.Restart();
            }
            if ((Config.Training.ValEvery > 0 && step % Config.Training.ValEvery == 0) || step == TotalSteps)
            {
                progress.Validating(step);
                try
                {
                    last = Validate(cancellation);
                }
                catch (OperationCanceledException)
                {
                    return Interrupted(folder, "interrupted");
                }
                var record = new ValidationRecord(step, Epoch(step), last);
                log.Append(record);
                progress.Validated(record);
                if (last.Tasks.SelectMany(t => t.Metrics.Select(m => (t.Task, Metric: m))).FirstOrDefault(m => !double.IsFinite(m.Metric.Value)) is { Task: not null } broken)
                {
                    var previous = folder.Checkpoints().LastOrDefault().Path;
                    return new TrainResult(TrainOutcome.Diverged, step,
                        $"validation after step {step} gives {broken.Task} {broken.Metric.Name} = {broken.Metric.Value}: the model's predictions are not finite, so the run stops" +
                        (previous is null ? "" : $" (the last checkpoint is {previous})"));
                }
                clock.Restart();
                images = 0;
            }
            if (step % Config.Training.CheckpointEvery == 0 || step == TotalSteps) SaveCheckpoint(folder);
        }
        if (Step.Steps < TotalSteps) return Interrupted(folder, $"stopped as asked (--stop-at {limit})");
        SafeTensors.Write(folder.Model, Model.ExportedStateDict(), new Dictionary<string, string> { [TrainingCheckpoint.ConfigKey] = _configYaml });
        var final = last ?? Validate(cancellation);
        AtomicText.Write(folder.FinalMetrics, FinalMetricsJson(final));
        if (final.PosePanel is { Length: > 0 } panel) AtomicText.Write(folder.PosePanel, panel);
        return new TrainResult(TrainOutcome.Completed, Step.Steps, $"finished {TotalSteps} steps", final);
    }

    /// <summary>The validation metrics of the model as it is now.</summary>
    public ValidationMetrics Validate(CancellationToken cancellation) =>
        Validation.Run(Model, Tasks, Classes, _validation, RunSetup.ValidationLoader(Config, Device), cancellation);

    /// <summary>The epoch a step belongs to, counted from 1 as steps are.</summary>
    private int Epoch(int step) => (step - 1) / StepsPerEpoch + 1;

    private TrainingPosition Position() =>
        new(Step.Steps, _start.DataPosition + (long)(Step.Steps - _start.Step) * BatchesPerStep, Model.Generator.Offset, _lossSums.ToArray(), _lossSteps);

    /// <summary>Writes the checkpoint of the current state unless one of this step exists, then prunes old ones.</summary>
    private string SaveCheckpoint(RunFolder folder, TrainingPosition? position = null)
    {
        var at = position ?? Position();
        var path = folder.Checkpoint(at.Step);
        if (!File.Exists(path)) TrainingCheckpoint.Save(path, Model, Step, at, _configYaml, _configHash);
        folder.Prune(Config.Training.KeepCheckpoints);
        return path;
    }

    private TrainResult Interrupted(RunFolder folder, string why)
    {
        var path = SaveCheckpoint(folder);
        return new TrainResult(TrainOutcome.Interrupted, Step.Steps,
            $"{why} after step {Step.Steps} of {TotalSteps}; saved {path}; continue with: nativemtl train --resume {folder.Path}");
    }

    private TrainResult Diverged(RunFolder folder, NonFiniteLossException e, int step, TrainingPosition before)
    {
        var what = $"the {e.Task} loss is {e.Value} at step {step} of {TotalSteps}";
        if (!Model.ParameterGroups.All.All(g => double.IsFinite(Ops.Reduce(Kernels.ReduceOp.Sum, Ops.Unary(Kernels.UnaryOp.Abs, g.Values), []).Item())))
        {
            var previous = folder.Checkpoints().LastOrDefault();
            return new TrainResult(TrainOutcome.Diverged, step - 1,
                $"{what}; the weights were already not finite, so nothing was saved" + (previous.Path is null ? "" : $"; the last checkpoint is {previous.Path}"));
        }
        var path = SaveCheckpoint(folder, before);
        return new TrainResult(TrainOutcome.Diverged, step - 1, $"{what}; stopped and saved the last good state (after step {step - 1}) as {path}");
    }

    private string FinalMetricsJson(ValidationMetrics final) => new JsonObject
    {
        ["step"] = Step.Steps,
        ["epoch"] = Epoch(Step.Steps),
        ["balancer"] = Config.Balancer.Name,
        ["device"] = Device.ToString(),
        ["metrics"] = MetricsLog.MetricsObject(final),
        ["metric_schema"] = MetricsLog.MetricsSchema(final),
    }.ToJsonString(MetricsLog.IndentedOptions) + "\n";

    private static double[] Doubles(Tensor t) => t.DType == DType.Float64 ? t.ToArray<double>() : Array.ConvertAll(t.ToArray<float>(), v => (double)v);

    public void Dispose()
    {
        Step.Dispose();
        Model.Dispose();
        foreach (var (_, copy) in _buffers) copy.Dispose();
    }

    /// <summary>A task loss that is NaN or infinite, found before the step's backward pass.</summary>
    private sealed class NonFiniteLossException(string task, double value) : Exception($"the {task} loss is {value}")
    {
        public string Task { get; } = task;

        public double Value { get; } = value;
    }

    /// <summary>The step's objective, reading each task loss of the step's first forward pass back before any
    /// gradient exists, so that a non-finite loss stops the run with the optimizer and balancer untouched.</summary>
    private sealed class CheckedObjective(DenseTaskObjective inner) : ITaskObjective
    {
        public bool Armed { get; set; }

        public TaskLosses Evaluate(bool lookAheadBatch, bool perClass, IReadOnlyCollection<string>? tasks = null)
        {
            var losses = inner.Evaluate(lookAheadBatch, perClass, tasks);
            if (!Armed || lookAheadBatch) return losses;
            Armed = false;
            foreach (var (task, loss) in losses.Losses)
            {
                double value = loss.Item();
                if (!double.IsFinite(value)) throw new NonFiniteLossException(task, value);
            }
            return losses;
        }
    }
}
