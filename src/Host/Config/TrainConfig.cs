using NativeMtl.Data;
using NativeMtl.Balancers;

namespace NativeMtl.Host.Config;

/// <summary>
/// Everything a training run is made of, as a YAML config gives it (see <see cref="ConfigReader"/> for the file and
/// the overrides, <see cref="ConfigWriter"/> for the resolved file a run saves). The defaults are the embedded
/// default run: synthetic scenes at 96×128, the small hard-sharing net, AuxiLight with segmentation as the main task
/// and depth and normals as auxiliary tasks, a few minutes on two CPU cores.
/// </summary>
internal sealed record TrainConfig
{
    /// <summary>Plug-in assemblies (full paths) whose balancers and tasks the run uses, loaded before the rest of the
    /// config is read (see <see cref="PluginLoader"/>).</summary>
    public IReadOnlyList<string> Plugins { get; init; } = [];

    /// <summary>Seeds the initial weights, the data order and the augmentation.</summary>
    public ulong Seed { get; init; }

    /// <summary>auto (the first GPU when CUDA is usable, else the CPU), cpu, cuda or cuda:N.</summary>
    public string Device { get; init; } = "auto";

    /// <summary>The run folder; null for runs/&lt;timestamp&gt;-&lt;balancer&gt;.</summary>
    public string? Out { get; init; }

    public DataConfig Data { get; init; } = new();

    /// <summary>Each task by its name with its role, in the order of the task vectors (losses, weights).</summary>
    public IReadOnlyList<TaskEntry> Tasks { get; init; } =
        [new("seg", TaskRoleName.Main), new("depth", TaskRoleName.Auxiliary), new("normal", TaskRoleName.Auxiliary)];

    public ModelConfig Model { get; init; } = new();

    public BalancerConfig Balancer { get; init; } = new();

    public OptimizerConfig Optimizer { get; init; } = new();

    public ScheduleConfig Schedule { get; init; } = new();

    public TrainingConfig Training { get; init; } = new();
}

internal static class TaskRoleName
{
    public const string Main = "main";
    public const string Auxiliary = "auxiliary";
}

internal sealed record TaskEntry(string Name, string Role);

internal sealed record DataConfig
{
    /// <summary>synthetic (rendered on the fly), pose (object crops of the synthetic scenes, seed 000's pose task) or mtan
    /// (a folder in MTAN's .npy layout, such as NYUv2).</summary>
    public string Dataset { get; init; } = "synthetic";

    /// <summary>mtan: the folder holding train/ and val/.</summary>
    public string? Path { get; init; }

    /// <summary>synthetic: the resolution.</summary>
    public int Height { get; init; } = 96;

    public int Width { get; init; } = 128;

    /// <summary>synthetic: training and validation scenes.</summary>
    public long TrainSize { get; init; } = 10_000;

    public long ValSize { get; init; } = 96;

    /// <summary>synthetic: which scenes (the same for every training seed).</summary>
    public ulong Seed { get; init; }

    /// <summary>mtan: the segmentation classes (13 for NYUv2).</summary>
    public int Classes { get; init; } = 13;

    /// <summary>mtan: the validation split's folder name.</summary>
    public string ValSplit { get; init; } = "val";

    /// <summary>mtan: Auto-λ's random scale, crop and flip on training samples.</summary>
    public bool Augment { get; init; } = true;

    /// <summary>The share of the pseudo-auxiliary task seg_noisy's labels drawn at random.</summary>
    public double LabelNoise { get; init; } = Balancers.DenseTask.DefaultLabelNoise;

    /// <summary>pose: crops around the object (Δdepth), or the whole image (depth).</summary>
    public bool Crop { get; init; } = true;

    /// <summary>pose: an object needs this many visible pixels in the 96×128 view to be chosen.</summary>
    public int MinVisiblePixels { get; init; } = PoseCrops.DefaultMinimumPixels;

    /// <summary>Threads that render or read samples; null for one per core.</summary>
    public int? Workers { get; init; }
}

internal sealed record ModelConfig
{
    /// <summary>hps, full_sharing or cross_stitch.</summary>
    public string Architecture { get; init; } = "hps";

    public string Encoder { get; init; } = "resnet_small";

    /// <summary>Channels of each encoder stage; null for the encoder's own.</summary>
    public IReadOnlyList<int>? Widths { get; init; } = [16, 32, 64];

    /// <summary>Residual blocks per stage; null for the encoder's own.</summary>
    public IReadOnlyList<int>? Blocks { get; init; } = [2, 2, 2];

    public int OutputStride { get; init; } = 8;

    /// <summary>conv or aspp.</summary>
    public string Head { get; init; } = "conv";

    /// <summary>The head's hidden width; null for the head's own.</summary>
    public int? HeadChannels { get; init; }

    /// <summary>aspp: dropout after the projection.</summary>
    public double HeadDropout { get; init; } = 0.5;

    /// <summary>Auxiliary modules (seed 001) on the encoder's stages; null for none.</summary>
    public AuxiliaryModulesConfig? AuxiliaryModules { get; init; }

    /// <summary>Deep supervision (seed 001 §4.2) on the encoder's stages; null for none.</summary>
    public DeepSupervisionConfig? DeepSupervision { get; init; }

    /// <summary>Weights to start from (a safetensors file, the tensors under a prefix); null for the initialisation.
    /// Read at a run's start only: a resumed run continues from its checkpoint.</summary>
    public Models.InitialWeightsSource? InitFrom { get; init; }
}

internal sealed record AuxiliaryModulesConfig
{
    /// <summary>Encoder stages to tap (0 = the first); null for all.</summary>
    public IReadOnlyList<int>? Stages { get; init; }

    /// <summary>blocks (every residual block of the tapped stages, seed 001's) or stages (their outputs).</summary>
    public string Taps { get; init; } = "blocks";

    /// <summary>conv1x1, conv3x3 or deform3x3 (deformable convolution v1).</summary>
    public string Adaptor { get; init; } = "conv1x1";

    /// <summary>concat or sum.</summary>
    public string Aggregator { get; init; } = "concat";

    public int Channels { get; init; } = 64;

    /// <summary>Tasks that get a module; null for every task (or the tasks of <see cref="Cells"/>).</summary>
    public IReadOnlyList<string>? Tasks { get; init; }

    /// <summary>Searched modules (seed 001 §3.3, as <c>nativemtl search</c> writes them): each task's cells, in place of
    /// <see cref="Adaptor"/> and <see cref="Aggregator"/>; null for the basic modules.</summary>
    public IReadOnlyDictionary<string, IReadOnlyList<Models.AuxiliaryCellSpec>>? Cells { get; init; }
}

/// <summary>Deep supervision: a 1×1 conv head per encoder stage predicting each chosen task, whose losses are added
/// times the weight.</summary>
internal sealed record DeepSupervisionConfig
{
    /// <summary>Tasks that supervise the stages; null for every task.</summary>
    public IReadOnlyList<string>? Tasks { get; init; }

    public double Weight { get; init; } = Models.DeepSupervisionOptions.DefaultWeight;
}

/// <summary>A balancer by registry name and its hyperparameters, passed on as they are written (the balancer reads
/// the ones it knows and rejects the rest).</summary>
internal sealed record BalancerConfig
{
    public string Name { get; init; } = "auxilight";

    /// <summary>Option name → a scalar's text, null, or a mapping of task → text.</summary>
    public IReadOnlyList<KeyValuePair<string, object?>> Options { get; init; } = [];

    public BalancerOptions ToOptions() => new(Options.ToDictionary(o => o.Key, o => o.Value));
}

internal sealed record OptimizerConfig
{
    /// <summary>sgd, adam or adamw.</summary>
    public string Name { get; init; } = "sgd";

    /// <summary>0.05 for sgd, 1e-3 for adam and adamw unless given.</summary>
    public double Lr { get; init; } = 0.05;

    /// <summary>sgd only.</summary>
    public double Momentum { get; init; } = 0.9;

    /// <summary>sgd only.</summary>
    public bool Nesterov { get; init; }

    /// <summary>1e-4 for sgd, 0 for adam, 1e-2 for adamw (decoupled) unless given.</summary>
    public double WeightDecay { get; init; } = 1e-4;

    /// <summary>adam and adamw only.</summary>
    public IReadOnlyList<double> Betas { get; init; } = [0.9, 0.999];

    /// <summary>adam and adamw only.</summary>
    public double Eps { get; init; } = 1e-8;

    public bool IsAdam => Name is "adam" or "adamw";
}

internal sealed record ScheduleConfig
{
    /// <summary>constant, cosine or poly.</summary>
    public string Name { get; init; } = "cosine";

    /// <summary>cosine: the rate at the last step.</summary>
    public double MinLr { get; init; }

    /// <summary>poly: the exponent.</summary>
    public double Power { get; init; } = 0.9;
}

internal sealed record TrainingConfig
{
    /// <summary>Optimizer steps; null when <see cref="Epochs"/> sets the length instead.</summary>
    public int? Steps { get; init; } = 800;

    /// <summary>Passes over the training set; null when <see cref="Steps"/> sets the length.</summary>
    public int? Epochs { get; init; }

    public int BatchSize { get; init; } = 8;

    /// <summary>Validate every so many steps (and always after the last); 0 for the end only.</summary>
    public int ValEvery { get; init; } = 400;

    /// <summary>Write a metrics line every so many steps.</summary>
    public int LogEvery { get; init; } = 10;

    /// <summary>Checkpoint every so many steps (and always after the last, and on an interruption).</summary>
    public int CheckpointEvery { get; init; } = 100;

    /// <summary>Checkpoints kept in the run folder, the newest ones.</summary>
    public int KeepCheckpoints { get; init; } = 2;
}
