using NativeMtl.Balancers;
using NativeMtl.Data;
using NativeMtl.Host.Config;
using NativeMtl.Kernels;
using NativeMtl.Models;

namespace NativeMtl.Host.Training;

/// <summary>A run's input that cannot be used (a missing dataset folder, a model the config cannot build, a
/// checkpoint that does not fit). The message is one line.</summary>
internal sealed class RunInputException(string message, Exception? inner = null) : Exception(message, inner);

/// <summary>Builds what a config describes: the datasets, the tasks, the model, the optimizer and the schedule.
/// Every failure is a <see cref="RunInputException"/> or a <see cref="ConfigException"/> with one line.</summary>
internal static class RunSetup
{
    public static IDenseDataset TrainingSet(TrainConfig config) => Dataset(config, validation: false);

    public static IDenseDataset ValidationSet(TrainConfig config) => Dataset(config, validation: true);

    private static IDenseDataset Dataset(TrainConfig config, bool validation)
    {
        var d = config.Data;
        var split = validation ? SceneSplit.Validation : SceneSplit.Train;
        if (d.Dataset == "synthetic") return new SyntheticScenes(d.Seed, split, d.Height, d.Width, validation ? d.ValSize : d.TrainSize);
        if (d.Dataset == "pose") return new PoseCrops(d.Seed, split, validation ? d.ValSize : d.TrainSize, d.Height, d.Width, d.Crop, d.MinVisiblePixels);
        var root = d.Path!;
        if (!Directory.Exists(root)) throw new RunInputException($"data.path {root}: no such folder (an MTAN-format dataset holds train/ and {d.ValSplit}/)");
        try
        {
            return validation
                ? new MtanDataset(root, d.ValSplit, d.Classes)
                : new MtanDataset(root, "train", d.Classes, d.Augment ? new RandomScaleCrop(config.Seed) : null);
        }
        catch (DataFormatException e)
        {
            throw new RunInputException($"dataset {e.Message}", e);
        }
    }

    public static int Classes(TrainConfig config) => config.Data.Dataset switch
    {
        "synthetic" => SceneClasses.Count,
        "pose" => 2,
        _ => config.Data.Classes,
    };

    public static IReadOnlyList<DenseTask> Tasks(TrainConfig config) => config.Tasks.Select(t =>
    {
        var role = t.Role == TaskRoleName.Main ? TaskRole.Main : TaskRole.Auxiliary;
        return config.Data.Dataset == "pose" ? DenseTask.CreateOnPose(t.Name, role) : DenseTask.Create(t.Name, role, Classes(config), config.Data.LabelNoise);
    }).ToList();

    public static MtlModel Model(TrainConfig config, IReadOnlyList<DenseTask> tasks, Device device)
    {
        var m = config.Model;
        var options = new ArchitectureOptions
        {
            Tasks = tasks.Select(t => t.Spec).ToList(),
            Encoder = m.Encoder,
            EncoderOptions = EncoderOptions(m),
            Head = m.Head,
            HeadOptions = new HeadOptions { HiddenChannels = m.HeadChannels, Dropout = m.HeadDropout },
            Auxiliary = m.AuxiliaryModules is { } a ? Auxiliary(a) : null,
            DeepSupervision = m.DeepSupervision is { } ds ? new DeepSupervisionOptions { Tasks = ds.Tasks, Weight = ds.Weight } : null,
            Seed = config.Seed,
            Device = device,
        };
        try
        {
            return ArchitectureRegistry.Create(m.Architecture, options);
        }
        catch (Exception e) when (e is ArgumentException or ShapeException)
        {
            throw new ConfigException($"model: {e.Message}");
        }
    }

    public static AuxiliaryOptions Auxiliary(AuxiliaryModulesConfig a) => new()
    {
        Stages = a.Stages,
        Taps = a.Taps == "stages" ? TapKind.Stages : TapKind.Blocks,
        Adaptor = a.Adaptor switch { "conv3x3" => AdaptorKind.Conv3x3, "deform3x3" => AdaptorKind.Deformable3x3, _ => AdaptorKind.Conv1x1 },
        Aggregator = a.Aggregator == "sum" ? AggregatorKind.Sum : AggregatorKind.Concat,
        Channels = a.Channels,
        Tasks = a.Tasks,
        Cells = a.Cells,
    };

    /// <summary>The encoder a config describes, as the model builds it.</summary>
    public static Encoder Encoder(ModelConfig m) =>
        EncoderRegistry.Create(m.Encoder, EncoderOptions(m), new BuildContext(new Generator(0)));

    private static EncoderOptions EncoderOptions(ModelConfig m) => new() { Widths = m.Widths, Blocks = m.Blocks, OutputStride = m.OutputStride };

    public static Optimizer Optimizer(OptimizerConfig o, IReadOnlyList<ParameterGroup> groups) => o.IsAdam
        ? new Adam(groups, new AdamOptions(o.Lr, o.Betas[0], o.Betas[1], o.Eps, o.WeightDecay, Decoupled: o.Name == "adamw"))
        : new Sgd(groups, new SgdOptions(o.Lr, o.Momentum, WeightDecay: o.WeightDecay, Nesterov: o.Nesterov));

    public static ILearningRateSchedule Schedule(TrainConfig config, int totalSteps) => config.Schedule.Name switch
    {
        "cosine" => new CosineSchedule(config.Optimizer.Lr, totalSteps, config.Schedule.MinLr),
        "poly" => new PolySchedule(config.Optimizer.Lr, totalSteps, config.Schedule.Power),
        _ => new ConstantSchedule(config.Optimizer.Lr),
    };

    /// <summary>The training loader's options; <paramref name="start"/> is the batch to continue at.</summary>
    public static BatchLoaderOptions TrainingLoader(TrainConfig config, Device device, long start) => new()
    {
        BatchSize = config.Training.BatchSize,
        Shuffle = true,
        Seed = config.Seed,
        Epochs = null,
        DropLast = true,
        Workers = config.Data.Workers ?? Environment.ProcessorCount,
        Prefetch = 3,
        Device = device,
        StartBatch = start,
    };

    public static BatchLoaderOptions ValidationLoader(TrainConfig config, Device device) => new()
    {
        BatchSize = config.Training.BatchSize,
        Epochs = 1,
        Workers = config.Data.Workers ?? Environment.ProcessorCount,
        Device = device,
    };
}
