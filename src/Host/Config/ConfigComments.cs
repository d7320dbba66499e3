using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;
using NativeMtl.Balancers;

namespace NativeMtl.Host.Config;

/// <summary>
/// What <c>nativemtl train --print-config</c> adds to a config's YAML: a comment on every field that needs one, and the
/// chosen balancer's hyperparameters that the config leaves at their defaults, written out with those defaults. The
/// result still reads back to the same config.
/// </summary>
internal static partial class ConfigComments
{
    private const int Column = 27;

    private static readonly Dictionary<string, string> Comments = new()
    {
        ["seed"] = "initial weights, data order and augmentation",
        ["device"] = "auto (GPU if CUDA is usable, else CPU), cpu, cuda, cuda:N",
        ["out"] = "run folder; null: runs/<yyyyMMdd-HHmmss>-<balancer>",
        ["data.dataset"] = "synthetic (rendered on the fly), pose (object crops of the scenes) or mtan (path: a folder in MTAN's layout)",
        ["data.height"] = "pixels; at least 2× the output stride",
        ["data.width"] = "pixels",
        ["data.train_size"] = "scenes to train on (synthetic, pose)",
        ["data.val_size"] = "scenes to validate on (synthetic, pose)",
        ["data.seed"] = "which scenes (synthetic, pose)",
        ["data.crop"] = "crops around the object (Δdepth), or the whole image (depth)",
        ["data.min_visible_pixels"] = "an object's visible pixels in the 96×128 view to be chosen",
        ["data.path"] = "folder with train/ and val/ in MTAN's layout",
        ["data.classes"] = "segmentation classes of the dataset",
        ["data.val_split"] = "the folder validated on",
        ["data.augment"] = "Auto-λ's random scale, crop and flip",
        ["data.label_noise"] = "share of seg_noisy's labels drawn at random",
        ["data.workers"] = "loader threads; null: one per core",
        ["tasks"] = "task: role (main or auxiliary); seg, depth, normal, curvature and coordinates (synthetic only), noise and seg_noisy (pseudo-tasks); pose data: pose, depth, normal, curvature, reconstruction",
        ["model.architecture"] = "hps, full_sharing, cross_stitch",
        ["model.encoder"] = "resnet_small, resnet50 (dilated, widths and blocks fixed)",
        ["model.widths"] = "channels per stage (resnet_small)",
        ["model.blocks"] = "residual blocks per stage (resnet_small)",
        ["model.output_stride"] = "input size over feature size: 8, 16 or 32",
        ["model.head"] = "conv, aspp",
        ["model.head_channels"] = "null: the head's own default",
        ["model.head_dropout"] = "aspp",
        ["model.init_from"] = "or a safetensors file, or {file: F, prefix: encoder.} (same names), or file_prefix: '' too (torchvision's names)",
        ["model.auxiliary_modules"] = "or {stages: [0, 1, 2], taps: blocks|stages, adaptor: conv1x1|conv3x3|deform3x3, aggregator: concat|sum, channels: 64, tasks: [depth]}; cells: see nativemtl search",
        ["model.deep_supervision"] = "or {tasks: [seg], weight: 0.1}: a 1×1 conv head on each encoder stage per task (tasks: null for all), its loss × weight",
        ["balancer.name"] = "any of: " + string.Join(", ", BalancerRegistry.Names),
        ["optimizer.name"] = "sgd (momentum, nesterov), adam or adamw (betas, eps)",
        ["optimizer.lr"] = "sgd 0.05, adam and adamw 0.001 by default",
        ["optimizer.weight_decay"] = "sgd 0.0001, adam 0, adamw 0.01 by default",
        ["schedule.name"] = "constant, cosine (min_lr), poly (power: 0.9)",
        ["training.steps"] = "or epochs: N with steps: null",
        ["training.val_every"] = "and always after the last step; 0: at the end only",
        ["training.checkpoint_every"] = "and after the last step and on Ctrl-C",
        ["training.keep_checkpoints"] = "the newest this many",
    };

    /// <summary>The YAML with comments, and the balancer's unset hyperparameters at their defaults.</summary>
    public static string Annotate(string yaml, TrainConfig config)
    {
        var defaults = BalancerDefaults(config);
        var text = new StringBuilder();
        var parents = new List<string>();
        foreach (var line in yaml.Split('\n'))
        {
            var field = Field().Match(line);
            if (!field.Success)
            {
                if (line.Length > 0) text.Append(line).Append('\n');
                continue;
            }
            int depth = field.Groups["indent"].Length / 2;
            if (parents.Count > depth) parents.RemoveRange(depth, parents.Count - depth);
            string path = string.Join('.', parents.Append(field.Groups["key"].Value));
            parents.Add(field.Groups["key"].Value);
            text.Append(WithComment(line, Comments.GetValueOrDefault(path)));
            if (path == "balancer.name")
                foreach (var (key, value) in defaults)
                    text.Append(WithComment($"  {key}: {value}", "default"));
        }
        return text.ToString();
    }

    private static string WithComment(string line, string? comment) =>
        comment is null ? line + "\n" : $"{line.PadRight(Column - 1)} # {comment}\n";

    /// <summary>Each hyperparameter the chosen balancer reads and the config leaves out, with its default as YAML.</summary>
    private static List<(string Key, string Value)> BalancerDefaults(TrainConfig config)
    {
        var options = config.Balancer.ToOptions();
        BalancerRegistry.Create(config.Balancer.Name, options).Dispose();
        var given = config.Balancer.Options.Select(o => o.Key).ToHashSet();
        return options.Defaults.Where(d => !given.Contains(d.Key)).Select(d => (d.Key, d.Value switch
        {
            null => "null",
            bool b => b ? "true" : "false",
            double v => v.ToString("R", CultureInfo.InvariantCulture),
            IFormattable f => f.ToString(null, CultureInfo.InvariantCulture),
            var v => v.ToString() ?? "null",
        })).ToList();
    }

    [GeneratedRegex(@"^(?<indent>( {2})*)(?<key>[A-Za-z_0-9]+):")]
    private static partial Regex Field();
}
