using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using NativeMtl.Models;
using YamlDotNet.Core;
using YamlDotNet.Core.Events;
using YamlDotNet.RepresentationModel;

namespace NativeMtl.Host.Config;

/// <summary>
/// Writes a config as the YAML that <see cref="ConfigReader"/> reads back to the same config: every field, the
/// defaults spelled out, fields that do not apply to the chosen optimizer, schedule or dataset left out.
/// </summary>
internal static class ConfigWriter
{
    /// <summary>The config as YAML; with <paramref name="withComments"/>, annotated for a person (see <see cref="ConfigComments"/>).</summary>
    public static string ToYaml(TrainConfig c, bool withComments) => withComments ? ConfigComments.Annotate(ToYaml(c), c) : ToYaml(c);

    public static string ToYaml(TrainConfig c)
    {
        var root = new YamlMappingNode();
        if (c.Plugins.Count > 0) root.Add("plugins", new YamlSequenceNode(c.Plugins.Select(p => (YamlNode)new YamlScalarNode(p))));
        foreach (var (key, value) in new (string, YamlNode)[]
        {
            ("seed", Number(c.Seed)),
            ("device", new YamlScalarNode(c.Device)),
            ("out", Text(c.Out)),
            ("data", Data(c.Data)),
            ("tasks", Map(c.Tasks.Select(t => (t.Name, (YamlNode)new YamlScalarNode(t.Role))))),
            ("model", Model(c.Model)),
            ("balancer", Map([("name", new YamlScalarNode(c.Balancer.Name)), .. c.Balancer.Options.Select(o => (o.Key, Option(o.Value)))])),
            ("optimizer", Optimizer(c.Optimizer)),
            ("schedule", Schedule(c.Schedule)),
            ("training", Training(c.Training)),
        }) root.Add(key, value);
        var writer = new StringWriter { NewLine = "\n" };
        new YamlStream(new YamlDocument(root)).Save(writer, assignAnchors: false);
        var text = writer.ToString();
        // The emitter closes the document with "..."; one document per file needs no end marker.
        return text.EndsWith("...\n", StringComparison.Ordinal) ? text[..^4] : text;
    }

    /// <summary>SHA-256 of what the run computes: the config without where it runs (device) and writes (out), so a
    /// run moved to another folder or resumed on another device still matches its checkpoints.</summary>
    public static string Hash(TrainConfig c) =>
        Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(ToYaml(c with { Device = "auto", Out = null }))));

    private static YamlMappingNode Data(DataConfig d)
    {
        var map = new YamlMappingNode { { "dataset", d.Dataset } };
        if (d.Dataset == "mtan")
        {
            map.Add("path", Text(d.Path));
            map.Add("classes", Number(d.Classes));
            map.Add("val_split", Text(d.ValSplit));
            map.Add("augment", Bool(d.Augment));
        }
        else
        {
            map.Add("height", Number(d.Height));
            map.Add("width", Number(d.Width));
            map.Add("train_size", Number(d.TrainSize));
            map.Add("val_size", Number(d.ValSize));
            map.Add("seed", Number(d.Seed));
        }
        if (d.Dataset == "pose")
        {
            map.Add("crop", Bool(d.Crop));
            map.Add("min_visible_pixels", Number(d.MinVisiblePixels));
        }
        map.Add("label_noise", Number(d.LabelNoise));
        map.Add("workers", d.Workers is { } w ? Number(w) : Null());
        return map;
    }

    private static YamlMappingNode Model(ModelConfig m)
    {
        var map = new YamlMappingNode
        {
            { "architecture", m.Architecture },
            { "encoder", m.Encoder },
            { "widths", List(m.Widths) },
            { "blocks", List(m.Blocks) },
            { "output_stride", Number(m.OutputStride) },
            { "head", m.Head },
            { "head_channels", m.HeadChannels is { } h ? Number(h) : Null() },
            { "head_dropout", Number(m.HeadDropout) },
        };
        map.Add("init_from", m.InitFrom is { } init
            ? new YamlMappingNode { { "file", init.File }, { "prefix", Scalar(init.Prefix) }, { "file_prefix", Text(init.FilePrefix) } }
            : Null());
        map.Add("auxiliary_modules", m.AuxiliaryModules is { } a ? Auxiliary(a) : Null());
        map.Add("deep_supervision", m.DeepSupervision is { } ds
            ? new YamlMappingNode { { "tasks", Words(ds.Tasks) }, { "weight", Number(ds.Weight) } }
            : Null());
        return map;
    }

    private static YamlMappingNode Auxiliary(AuxiliaryModulesConfig a)
    {
        var auxiliary = new YamlMappingNode { { "stages", List(a.Stages) }, { "taps", a.Taps } };
        if (a.Cells is null)
        {
            auxiliary.Add("adaptor", a.Adaptor);
            auxiliary.Add("aggregator", a.Aggregator);
        }
        auxiliary.Add("channels", Number(a.Channels));
        auxiliary.Add("tasks", Words(a.Tasks));
        if (a.Cells is not null) auxiliary.Add("cells", Cells(a.Cells));
        return auxiliary;
    }

    /// <summary>Each task's cells, one flow mapping per cell.</summary>
    private static YamlMappingNode Cells(IReadOnlyDictionary<string, IReadOnlyList<AuxiliaryCellSpec>> cells)
    {
        var map = new YamlMappingNode();
        foreach (var (task, list) in cells)
            map.Add(task, new YamlSequenceNode(list.Select(c =>
            {
                var cell = new YamlMappingNode
                {
                    { "inputs", Words([c.First.ToString(), c.Second.ToString()]) },
                    { "ops", Words([AdaptorOps.Name(c.FirstOp), AdaptorOps.Name(c.SecondOp)]) },
                    { "aggregator", c.Aggregator == AggregatorKind.Sum ? "sum" : "concat" },
                };
                cell.Style = MappingStyle.Flow;
                return cell;
            })));
        return map;
    }

    /// <summary>A flow list of words, or null.</summary>
    private static YamlNode Words(IReadOnlyList<string>? words) =>
        words is null ? Null() : new YamlSequenceNode(words.Select(w => new YamlScalarNode(w))) { Style = SequenceStyle.Flow };

    private static YamlMappingNode Optimizer(OptimizerConfig o)
    {
        var map = new YamlMappingNode { { "name", o.Name }, { "lr", Number(o.Lr) } };
        if (o.IsAdam)
        {
            map.Add("betas", new YamlSequenceNode(o.Betas.Select(Number)) { Style = SequenceStyle.Flow });
            map.Add("eps", Number(o.Eps));
        }
        else
        {
            map.Add("momentum", Number(o.Momentum));
            map.Add("nesterov", Bool(o.Nesterov));
        }
        map.Add("weight_decay", Number(o.WeightDecay));
        return map;
    }

    private static YamlMappingNode Schedule(ScheduleConfig s)
    {
        var map = new YamlMappingNode { { "name", s.Name } };
        if (s.Name == "cosine") map.Add("min_lr", Number(s.MinLr));
        if (s.Name == "poly") map.Add("power", Number(s.Power));
        return map;
    }

    private static YamlMappingNode Training(TrainingConfig t) => new()
    {
        { "steps", t.Steps is { } s ? Number(s) : Null() },
        { "epochs", t.Epochs is { } e ? Number(e) : Null() },
        { "batch_size", Number(t.BatchSize) },
        { "val_every", Number(t.ValEvery) },
        { "log_every", Number(t.LogEvery) },
        { "checkpoint_every", Number(t.CheckpointEvery) },
        { "keep_checkpoints", Number(t.KeepCheckpoints) },
    };

    /// <summary>A balancer option as it was written: its text is what the balancer parses, so it stays unquoted
    /// unless it would read back as null.</summary>
    private static YamlNode Option(object? value) => value switch
    {
        null => Null(),
        IDictionary<string, string?> perTask => Map(perTask.Select(p => (p.Key, Option(p.Value)))),
        _ => Convert.ToString(value, CultureInfo.InvariantCulture) is var text && ConfigReader.IsNull(new YamlScalarNode(text))
            ? new YamlScalarNode(text) { Style = ScalarStyle.SingleQuoted }
            : new YamlScalarNode(text) { Style = ScalarStyle.Any },
    };

    private static YamlMappingNode Map(IEnumerable<(string Key, YamlNode Value)> entries)
    {
        var map = new YamlMappingNode();
        foreach (var (key, value) in entries) map.Add(key, value);
        return map;
    }

    private static YamlNode List(IReadOnlyList<int>? values) =>
        values is null ? Null() : new YamlSequenceNode(values.Select(v => Number(v))) { Style = SequenceStyle.Flow };

    private static YamlScalarNode Number(double value) => new(value.ToString("R", CultureInfo.InvariantCulture)) { Style = ScalarStyle.Plain };

    private static YamlScalarNode Number(long value) => new(value.ToString(CultureInfo.InvariantCulture)) { Style = ScalarStyle.Plain };

    private static YamlScalarNode Number(ulong value) => new(value.ToString(CultureInfo.InvariantCulture)) { Style = ScalarStyle.Plain };

    private static YamlScalarNode Bool(bool value) => new(value ? "true" : "false") { Style = ScalarStyle.Plain };

    private static YamlScalarNode Null() => new("null") { Style = ScalarStyle.Plain };

    /// <summary>A string, quoted by the emitter where YAML would read it as something else (null, a number, true).</summary>
    private static YamlNode Text(string? value) => value is null ? Null() : Scalar(value);

    private static YamlScalarNode Scalar(string? value)
    {
        if (value is null) return Null();
        bool ambiguous = value.Length == 0 || value is "~" or "null" or "Null" or "NULL" or "true" or "false" or "True" or "False"
            || double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out _);
        return new YamlScalarNode(value) { Style = ambiguous ? ScalarStyle.SingleQuoted : ScalarStyle.Any };
    }
}
