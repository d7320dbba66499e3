using System.Globalization;
using NativeMtl.Balancers;
using NativeMtl.Models;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace NativeMtl.Host.Config;

/// <summary>
/// Reads a YAML config over the defaults of <see cref="TrainConfig"/>, then applies command-line overrides. Strict:
/// an unknown field, a value of the wrong type or out of range, an unknown name (architecture, encoder, head,
/// balancer, task, role) or a field that does not apply (momentum for Adam) is a <see cref="ConfigException"/> that
/// names the file and line, or the override, where the value came from.
/// </summary>
internal static class ConfigReader
{
    /// <summary>The config of a file (null: the defaults alone) with the overrides applied in order.</summary>
    public static TrainConfig Read(string? file, IReadOnlyList<ConfigOverride> overrides)
    {
        if (file is null) return Parse("", "the defaults", overrides);
        if (Directory.Exists(file)) throw new ConfigException($"config {file}: is a folder, not a config file");
        if (!File.Exists(file)) throw new ConfigException($"config {file}: no such file");
        string text;
        try
        {
            text = File.ReadAllText(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new ConfigException($"config {file}: cannot be read ({e.Message})");
        }
        return Parse(text, file, overrides);
    }

    /// <summary>The config of a YAML text; <paramref name="source"/> names it in messages.</summary>
    public static TrainConfig Parse(string text, string source, IReadOnlyList<ConfigOverride> overrides)
    {
        var document = new Document(source);
        var root = document.Load(text);
        foreach (var o in overrides) document.Apply(root, o);
        return Bind(new Section(document, root, ""));
    }

    /// <summary>A YAML error's own words, without the positions YamlDotNet puts around them.</summary>
    public static string Describe(Exception e) => e switch
    {
        YamlException y => y.Message,
        _ => "the text ends inside an unclosed [ or {",
    };

    /// <summary>Plug-in paths, relative to the config file's folder (the current folder for --set), loaded now.</summary>
    private static IReadOnlyList<string> ReadPlugins(Value v)
    {
        var paths = v.StringList().Select(p => RelativeToConfig(v, p)).ToList();
        foreach (var path in paths)
        {
            try
            {
                PluginLoader.Load(path);
            }
            catch (ConfigException e)
            {
                throw v.Error(e.Message);
            }
        }
        return paths;
    }

    private static TrainConfig Bind(Section root)
    {
        var d = new TrainConfig();
        var config = new TrainConfig
        {
            // First, so that the names the plug-ins register are known to the fields below.
            Plugins = root.Value("plugins", d.Plugins, ReadPlugins),
            Seed = root.Value("seed", d.Seed, v => v.ULong()),
            Device = root.Value("device", d.Device, v => v.Device()),
            Out = root.Value("out", d.Out, v => v.NullableString() is { } path && path.Trim().Length == 0 ? throw v.Error("an empty path; give a folder or null") : v.NullableString()),
            Data = root.Nested("data", ReadData) ?? d.Data,
            Tasks = root.Value("tasks", d.Tasks, ReadTasks),
            Model = root.Nested("model", ReadModel) ?? d.Model,
            Balancer = root.Value("balancer", d.Balancer, ReadBalancer),
            Optimizer = root.Nested("optimizer", ReadOptimizer) ?? d.Optimizer,
            Schedule = root.Nested("schedule", ReadSchedule) ?? d.Schedule,
            Training = root.Nested("training", ReadTraining) ?? d.Training,
        };
        root.Done();
        foreach (var (field, chosen) in new[] { ("auxiliary_modules.tasks", config.Model.AuxiliaryModules?.Tasks), ("auxiliary_modules.cells", config.Model.AuxiliaryModules?.Cells?.Keys),
                     ("deep_supervision.tasks", config.Model.DeepSupervision?.Tasks) })
        {
            var stranger = (chosen ?? []).FirstOrDefault(t => config.Tasks.All(e => e.Name != t));
            if (stranger is not null)
                throw new ConfigException($"{root.Where("model")}: model.{field}: '{stranger}' is not one of the tasks ({string.Join(", ", config.Tasks.Select(t => t.Name))})");
        }
        var synthetic = config.Tasks.FirstOrDefault(t => DenseTask.SyntheticOnly.Contains(t.Name));
        if (config.Data.Dataset == "mtan" && synthetic is not null)
            throw new ConfigException($"{root.Where("tasks")}: tasks: {synthetic.Name} needs the synthetic scenes (MTAN-format datasets have no {synthetic.Name})");
        var known = config.Data.Dataset == "pose" ? DenseTask.KnownOnPose : DenseTask.Known;
        if (config.Tasks.FirstOrDefault(t => !known.Contains(t.Name)) is { } misplaced)
            throw new ConfigException($"{root.Where("tasks")}: tasks: {misplaced.Name} is not a task of data.dataset {config.Data.Dataset} (its tasks: {string.Join(", ", known)})");
        return config;
    }

    private static DataConfig ReadData(Section s)
    {
        var d = new DataConfig();
        var dataset = s.Value("dataset", d.Dataset, v => v.Word("synthetic", "mtan", "pose"));
        string[] rendered = ["height", "width", "train_size", "val_size", "seed"], mtanOnly = ["path", "classes", "val_split", "augment"],
            poseOnly = ["crop", "min_visible_pixels"];
        s.OnlyFor(dataset switch { "synthetic" => [.. mtanOnly, .. poseOnly], "pose" => mtanOnly, _ => [.. rendered, .. poseOnly] }, $"data.dataset {dataset}");
        var data = new DataConfig
        {
            Dataset = dataset,
            Path = s.Value("path", d.Path, v => v.NullableString()),
            Height = s.Value("height", d.Height, v => v.Int(1)),
            Width = s.Value("width", d.Width, v => v.Int(1)),
            TrainSize = s.Value("train_size", d.TrainSize, v => v.Long(1)),
            ValSize = s.Value("val_size", d.ValSize, v => v.Long(1)),
            Seed = s.Value("seed", d.Seed, v => v.ULong()),
            Classes = s.Value("classes", d.Classes, v => v.Int(1)),
            ValSplit = s.Value("val_split", d.ValSplit, v => v.String()),
            Augment = s.Value("augment", d.Augment, v => v.Bool()),
            LabelNoise = s.Value("label_noise", d.LabelNoise, v => v.Double(0, 1)),
            Crop = s.Value("crop", d.Crop, v => v.Bool()),
            MinVisiblePixels = s.Value("min_visible_pixels", d.MinVisiblePixels, v => v.Int(1)),
            Workers = s.Value("workers", d.Workers, v => v.IsNull ? null : v.Int(1)),
        };
        if (dataset == "mtan" && data.Path is null) throw new ConfigException($"{s.Where()}: data.path: required when data.dataset is mtan (the folder holding train/ and val/)");
        s.Done();
        return data;
    }

    private static IReadOnlyList<TaskEntry> ReadTasks(Value v)
    {
        var map = v.Mapping();
        if (map.Children.Count == 0) throw v.Error("expected at least one task, such as {seg: main, depth: auxiliary}");
        var tasks = new List<TaskEntry>();
        var names = DenseTask.Known.Union(DenseTask.KnownOnPose).ToList();
        foreach (var (key, node) in map.Children)
        {
            var name = ((YamlScalarNode)key).Value ?? "";
            if (!names.Contains(name))
                throw new ConfigException($"{v.Document.Where(key)}: tasks: unknown task '{name}' (known: {string.Join(", ", names)})");
            var role = new Value(v.Document, node, $"tasks.{name}").Word(TaskRoleName.Main, TaskRoleName.Auxiliary);
            tasks.Add(new TaskEntry(name, role));
        }
        if (tasks.All(t => t.Role != TaskRoleName.Main)) throw v.Error("no task is main: at least one must be (auxiliary tasks only help main ones)");
        return tasks;
    }

    private static ModelConfig ReadModel(Section s)
    {
        var d = new ModelConfig();
        var encoder = s.Value("encoder", d.Encoder, v => v.Word([.. EncoderRegistry.Names]));
        bool small = encoder == "resnet_small";
        var model = new ModelConfig
        {
            Architecture = s.Value("architecture", d.Architecture, v => v.Word([.. ArchitectureRegistry.Names])),
            Encoder = encoder,
            Widths = s.Value("widths", small ? d.Widths : null, v => v.IsNull ? null : v.IntList(1)),
            Blocks = s.Value("blocks", small ? d.Blocks : null, v => v.IsNull ? null : v.IntList(1)),
            OutputStride = s.Value("output_stride", d.OutputStride, v => v.Int(4)),
            Head = s.Value("head", d.Head, v => v.Word([.. HeadRegistry.Names])),
            HeadChannels = s.Value("head_channels", d.HeadChannels, v => v.IsNull ? null : v.Int(1)),
            HeadDropout = s.Value("head_dropout", d.HeadDropout, v => v.Double(0, 1)),
            AuxiliaryModules = s.Value("auxiliary_modules", d.AuxiliaryModules, v => v.IsNull ? null : ReadAuxiliary(new Section(v.Document, v.Mapping(), v.Path + "."))),
            DeepSupervision = s.Value("deep_supervision", d.DeepSupervision, v => v.IsNull ? null : ReadDeepSupervision(new Section(v.Document, v.Mapping(), v.Path + "."))),
            InitFrom = s.Value("init_from", d.InitFrom, ReadInitFrom),
        };
        s.Done();
        return model;
    }

    /// <summary>null, a file, or {file, prefix, file_prefix}; the file relative to the config file's folder.</summary>
    private static InitialWeightsSource? ReadInitFrom(Value v)
    {
        if (v.IsNull) return null;
        if (v.Node is YamlScalarNode) return new InitialWeightsSource(RelativeToConfig(v, v.String()));
        var s = new Section(v.Document, v.Mapping(), v.Path + ".");
        var source = new InitialWeightsSource(RelativeToConfig(v, s.Value("file", "", f => f.String())),
            s.Value("prefix", "", p => p.String()), s.Value("file_prefix", null, p => p.NullableString()));
        s.Done();
        if (source.File.Length == 0) throw v.Error("file: required (a safetensors file)");
        return source;
    }

    /// <summary>A path as written in a config file, relative to its folder (the current folder for --set and the defaults).</summary>
    private static string RelativeToConfig(Value v, string path) =>
        path.Length == 0 ? path : Path.GetFullPath(path, File.Exists(v.Document.Source) && !v.Document.IsOverride(v.Node)
            ? Path.GetDirectoryName(Path.GetFullPath(v.Document.Source))!
            : Directory.GetCurrentDirectory());

    private static AuxiliaryModulesConfig ReadAuxiliary(Section s)
    {
        var d = new AuxiliaryModulesConfig();
        var cells = s.Value("cells", d.Cells, ReadCells);
        if (cells is not null) s.OnlyFor(["adaptor", "aggregator"], "cells (each cell names its own)");
        var config = new AuxiliaryModulesConfig
        {
            Stages = s.Value("stages", d.Stages, v => v.IsNull ? null : v.IntList(0)),
            Taps = s.Value("taps", d.Taps, v => v.Word("blocks", "stages")),
            Adaptor = s.Value("adaptor", d.Adaptor, v => v.Word("conv1x1", "conv3x3", "deform3x3")),
            Aggregator = s.Value("aggregator", d.Aggregator, v => v.Word("concat", "sum")),
            Channels = s.Value("channels", d.Channels, v => v.Int(1)),
            Tasks = s.Value("tasks", d.Tasks, v => v.IsNull ? null : v.StringList()),
            Cells = cells,
        };
        s.Done();
        return config;
    }

    /// <summary>null, or task → list of cells, each {inputs: [A, B], ops: [OP, OP], aggregator: sum|concat}.</summary>
    private static IReadOnlyDictionary<string, IReadOnlyList<AuxiliaryCellSpec>>? ReadCells(Value v)
    {
        if (v.IsNull) return null;
        var cells = new Dictionary<string, IReadOnlyList<AuxiliaryCellSpec>>();
        foreach (var (key, node) in v.Mapping().Children)
        {
            var task = ((YamlScalarNode)key).Value ?? "";
            var list = new Value(v.Document, node, $"{v.Path}.{task}");
            cells[task] = list.Items().Select(ReadCell).ToList() is { Count: > 0 } read ? read : throw list.Error("expected at least one cell");
        }
        return cells.Count > 0 ? cells : throw v.Error("expected each task's list of cells");
    }

    private static AuxiliaryCellSpec ReadCell(Value v)
    {
        var s = new Section(v.Document, v.Mapping(), v.Path + ".");
        var inputs = s.Value("inputs", [], i => i.Items().Select(CellInputOf).ToList());
        var ops = s.Value("ops", [], o => o.Items().Select(op => AdaptorOps.TryParse(op.Word([.. AdaptorOps.All]), out var parsed) ? parsed : default).ToList());
        var aggregator = s.Value("aggregator", "", a => a.Word("sum", "concat"));
        s.Done();
        if (inputs.Count != 2) throw v.Error($"inputs: expected two, such as [0, seg.0], got {inputs.Count}");
        if (ops.Count != 2) throw v.Error($"ops: expected two of {string.Join(", ", AdaptorOps.All)}, got {ops.Count}");
        if (aggregator.Length == 0) throw v.Error("aggregator: required (sum or concat)");
        return new AuxiliaryCellSpec(inputs[0], inputs[1], ops[0], ops[1], aggregator == "sum" ? AggregatorKind.Sum : AggregatorKind.Concat);
    }

    private static CellInput CellInputOf(Value v)
    {
        try
        {
            return CellInput.Parse(v.String());
        }
        catch (FormatException e)
        {
            throw v.Error(e.Message);
        }
    }

    private static DeepSupervisionConfig ReadDeepSupervision(Section s)
    {
        var d = new DeepSupervisionConfig();
        var config = new DeepSupervisionConfig
        {
            Tasks = s.Value("tasks", d.Tasks, v => v.IsNull ? null : v.StringList()),
            Weight = s.Value("weight", d.Weight, v => v.Double(double.Epsilon, double.MaxValue)),
        };
        s.Done();
        return config;
    }

    private static BalancerConfig ReadBalancer(Value v)
    {
        if (v.Node is YamlScalarNode) return new BalancerConfig { Name = v.Word([.. BalancerRegistry.Names]) };
        var map = v.Mapping();
        var nameNode = map.Children.FirstOrDefault(c => ((YamlScalarNode)c.Key).Value == "name").Value;
        var name = nameNode is null ? new BalancerConfig().Name : new Value(v.Document, nameNode, "balancer.name").Word([.. BalancerRegistry.Names]);
        var options = new List<KeyValuePair<string, object?>>();
        foreach (var (key, node) in map.Children)
        {
            var option = ((YamlScalarNode)key).Value ?? "";
            if (option == "name") continue;
            options.Add(new(option, OptionValue(new Value(v.Document, node, $"balancer.{option}"))));
        }
        var config = new BalancerConfig { Name = name, Options = options };
        try
        {
            BalancerRegistry.Create(name, config.ToOptions()).Dispose();
        }
        catch (ArgumentException e)
        {
            // The balancer's message quotes the option at fault; point at that option's line.
            var at = map.Children.FirstOrDefault(c => e.Message.Contains($"'{((YamlScalarNode)c.Key).Value}'", StringComparison.Ordinal)).Key ?? v.Node;
            throw new ConfigException($"{v.Document.Where(at)}: balancer: {e.Message}");
        }
        return config;
    }

    /// <summary>A balancer option as <see cref="BalancerOptions"/> takes it: a scalar's text, null, or task → text.</summary>
    private static object? OptionValue(Value v) => v.Node switch
    {
        _ when v.IsNull => null,
        YamlScalarNode scalar => scalar.Value,
        YamlMappingNode map => map.Children.ToDictionary(c => ((YamlScalarNode)c.Key).Value ?? "",
            c => c.Value is YamlScalarNode s ? s.Value : throw new Value(v.Document, c.Value, v.Path).Error("expected a number for each task")),
        _ => throw v.Error("expected a number, a word, true/false or a mapping of task to number"),
    };

    private static OptimizerConfig ReadOptimizer(Section s)
    {
        var d = new OptimizerConfig();
        var name = s.Value("name", d.Name, v => v.Word("sgd", "adam", "adamw"));
        var adam = name is "adam" or "adamw";
        s.OnlyFor(adam ? ["momentum", "nesterov"] : ["betas", "eps"], $"optimizer.name {name}");
        var config = new OptimizerConfig
        {
            Name = name,
            Lr = s.Value("lr", adam ? 1e-3 : d.Lr, v => v.Double(double.Epsilon, double.MaxValue)),
            Momentum = s.Value("momentum", d.Momentum, v => v.Double(0, 0.9999999)),
            Nesterov = s.Value("nesterov", d.Nesterov, v => v.Bool()),
            WeightDecay = s.Value("weight_decay", name switch { "adamw" => 1e-2, "adam" => 0, _ => d.WeightDecay }, v => v.Double(0, double.MaxValue)),
            Betas = s.Value("betas", d.Betas, v => v.DoubleList(2, 0, 0.9999999)),
            Eps = s.Value("eps", d.Eps, v => v.Double(double.Epsilon, 1)),
        };
        s.Done();
        return config;
    }

    private static ScheduleConfig ReadSchedule(Section s)
    {
        var d = new ScheduleConfig();
        var name = s.Value("name", d.Name, v => v.Word("constant", "cosine", "poly"));
        s.OnlyFor(name switch { "cosine" => ["power"], "poly" => ["min_lr"], _ => ["power", "min_lr"] }, $"schedule.name {name}");
        var config = new ScheduleConfig
        {
            Name = name,
            MinLr = s.Value("min_lr", d.MinLr, v => v.Double(0, double.MaxValue)),
            Power = s.Value("power", d.Power, v => v.Double(double.Epsilon, double.MaxValue)),
        };
        s.Done();
        return config;
    }

    private static TrainingConfig ReadTraining(Section s)
    {
        var d = new TrainingConfig();
        var epochs = s.Value("epochs", d.Epochs, v => v.IsNull ? null : v.Int(1));
        var steps = s.Value("steps", epochs is null ? d.Steps : null, v => v.IsNull ? null : v.Int(1));
        if (steps is not null && epochs is not null)
            throw new ConfigException($"{s.Where("epochs")}: training.steps and training.epochs are both set: give one (the other null)");
        if (steps is null && epochs is null) throw new ConfigException($"{s.Where("steps")}: training.steps and training.epochs are both null: give one");
        var config = new TrainingConfig
        {
            Steps = steps,
            Epochs = epochs,
            BatchSize = s.Value("batch_size", d.BatchSize, v => v.Int(1)),
            ValEvery = s.Value("val_every", d.ValEvery, v => v.Int(0)),
            LogEvery = s.Value("log_every", d.LogEvery, v => v.Int(1)),
            CheckpointEvery = s.Value("checkpoint_every", d.CheckpointEvery, v => v.Int(1)),
            KeepCheckpoints = s.Value("keep_checkpoints", d.KeepCheckpoints, v => v.Int(1)),
        };
        s.Done();
        return config;
    }

    /// <summary>The YAML tree of a config and where each of its nodes came from.</summary>
    internal sealed class Document(string source)
    {
        private readonly Dictionary<YamlNode, string> _origins = new(ReferenceEqualityComparer.Instance);

        public YamlMappingNode Load(string text)
        {
            var stream = new YamlStream();
            try
            {
                stream.Load(new StringReader(text));
            }
            catch (Exception e) when (e is YamlException or InvalidOperationException)
            {
                // An unclosed [ or { swallows the rest of the file, so the parser's own position is the end of the file;
                // the line that opened it is where the mistake is.
                if (UnclosedBracket(text) is { } opened)
                    throw new ConfigException($"config {source} line {opened.Line}: YAML syntax error: the {opened.Bracket} on this line is never closed");
                throw e is YamlException y
                    ? new ConfigException($"config {source} line {y.Start.Line}, column {y.Start.Column}: YAML syntax error: {Describe(e)}")
                    : new ConfigException($"config {source}: YAML syntax error: {Describe(e)}");
            }
            if (stream.Documents.Count > 1) throw new ConfigException($"config {source} line {stream.Documents[1].RootNode.Start.Line}: holds a second YAML document; a config is one");
            if (stream.Documents.Count == 0 || IsNull(stream.Documents[0].RootNode)) return new YamlMappingNode();
            if (stream.Documents[0].RootNode is not YamlMappingNode root)
                throw new ConfigException($"config {source} line {stream.Documents[0].RootNode.Start.Line}: expected a mapping of fields (seed:, data:, model:, ...)");
            return root;
        }

        /// <summary>The first [ or { outside quotes and comments that is never closed, with its line (1-based).</summary>
        private static (char Bracket, int Line)? UnclosedBracket(string text)
        {
            var open = new Stack<(char Bracket, int Line)>();
            int line = 1;
            char quote = '\0';
            for (int i = 0; i < text.Length; i++)
            {
                char c = text[i];
                if (c == '\n')
                {
                    line++;
                    quote = '\0';
                }
                else if (quote != '\0')
                {
                    if (c == quote) quote = '\0';
                }
                else if (c is '\'' or '"')
                {
                    quote = c;
                }
                else if (c == '#' && (i == 0 || char.IsWhiteSpace(text[i - 1])))
                {
                    while (i + 1 < text.Length && text[i + 1] != '\n') i++;
                }
                else if (c is '[' or '{')
                {
                    open.Push((c, line));
                }
                else if (c is ']' or '}' && open.Count > 0)
                {
                    open.Pop();
                }
            }
            return open.Count > 0 ? open.Last() : null;
        }

        /// <summary>Sets a field, making the sections on its path where they are missing.</summary>
        public void Apply(YamlMappingNode root, ConfigOverride o)
        {
            var keys = o.Path.Split('.');
            var map = root;
            for (int i = 0; i < keys.Length - 1; i++)
            {
                var key = new YamlScalarNode(keys[i]);
                if (!map.Children.TryGetValue(key, out var child) || IsNull(child))
                {
                    child = new YamlMappingNode();
                    _origins[child] = o.Origin;
                    map.Children[key] = child;
                }
                // The section the override reaches into is a value: that is the fault of whatever wrote the value.
                map = child as YamlMappingNode ?? throw new ConfigException(
                    $"{Where(child)}: {string.Join('.', keys[..(i + 1)])}: expected a section (a mapping of fields), got '{(child as YamlScalarNode)?.Value ?? child.NodeType.ToString()}'");
            }
            foreach (var node in o.Value.AllNodes) _origins[node] = o.Origin;
            var last = new YamlScalarNode(keys[^1]);
            _origins[last] = o.Origin;
            map.Children.Remove(last);
            map.Children.Add(last, o.Value);
        }

        /// <summary>Whether an override (--set, a sweep's cell) wrote the node, rather than the file.</summary>
        public bool IsOverride(YamlNode node) => _origins.ContainsKey(node);

        /// <summary>"config FILE line N" or the override that set the node.</summary>
        public string Where(YamlNode node) => _origins.TryGetValue(node, out var origin) ? origin : $"config {source} line {node.Start.Line}";

        public string Source => source;
    }

    /// <summary>Whether a node is YAML's null: an unquoted null, ~ or nothing.</summary>
    internal static bool IsNull(YamlNode node) =>
        node is YamlScalarNode { Style: ScalarStyle.Plain or ScalarStyle.Any, Value: null or "" or "~" or "null" or "Null" or "NULL" };

    /// <summary>A mapping being read: each field once, then <see cref="Done"/> rejects the ones nobody read.</summary>
    private sealed class Section(Document document, YamlMappingNode node, string prefix)
    {
        private readonly List<string> _read = [];

        public T Value<T>(string key, T fallback, Func<Value, T> read)
        {
            Read(key);
            var child = Child(key);
            return child is null ? fallback : read(new Value(document, child, prefix + key));
        }

        /// <summary>A sub-mapping read by <paramref name="read"/>; null when absent.</summary>
        public T? Nested<T>(string key, Func<Section, T> read) where T : class
        {
            Read(key);
            var child = Child(key);
            if (child is null || IsNull(child)) return null;
            return read(new Section(document, new Value(document, child, prefix + key).Mapping(), prefix + key + "."));
        }

        /// <summary>Rejects fields given explicitly that the current choice does not use (they are still read, for
        /// their defaults, and so count as known).</summary>
        public void OnlyFor(IEnumerable<string> unusedKeys, string choice)
        {
            foreach (var key in unusedKeys)
            {
                if (Child(key) is { } child && !IsNull(child))
                    throw new ConfigException($"{document.Where(child)}: {prefix}{key} does not apply with {choice}");
            }
        }

        public string Where(string? key = null) => key is not null && Child(key) is { } child ? document.Where(child) : document.Where(node);

        public void Done()
        {
            foreach (var (key, _) in node.Children)
            {
                var name = ((YamlScalarNode)key).Value ?? "";
                if (!_read.Contains(name))
                    throw new ConfigException($"{document.Where(key)}: unknown field '{prefix}{name}' (known{(prefix == "" ? "" : $" in {prefix.TrimEnd('.')}")}: {string.Join(", ", _read)})");
            }
        }

        private void Read(string key)
        {
            if (!_read.Contains(key)) _read.Add(key);
        }

        private YamlNode? Child(string key)
        {
            foreach (var (k, v) in node.Children)
            {
                if (k is not YamlScalarNode scalar) throw new ConfigException($"{document.Where(k)}: a field name must be a plain word");
                if (scalar.Value == key) return v;
            }
            return null;
        }
    }

    /// <summary>One value being read, with its path for messages.</summary>
    internal sealed class Value(Document document, YamlNode node, string path)
    {
        public Document Document => document;

        public YamlNode Node => node;

        public string Path => path;

        public bool IsNull => ConfigReader.IsNull(node);

        public ConfigException Error(string problem) => new($"{document.Where(node)}: {path}: {problem}");

        private string Scalar(string expected)
        {
            if (node is not YamlScalarNode scalar) throw Error($"expected {expected}, got a {(node is YamlMappingNode ? "mapping" : "list")}");
            if (IsNull) throw Error($"expected {expected}, got null");
            return scalar.Value ?? "";
        }

        public string String() => Scalar("a string");

        public string? NullableString() => IsNull ? null : String();

        public int Int(int min) => (int)Long(min, int.MaxValue);

        public long Long(long min, long max = long.MaxValue)
        {
            var text = Scalar("an integer");
            if (!long.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var value))
                throw Error(System.Numerics.BigInteger.TryParse(text, NumberStyles.AllowLeadingSign, CultureInfo.InvariantCulture, out var huge)
                    ? $"{text} is too {(huge.Sign < 0 ? "small" : "large")} (from {min} to {max})"
                    : $"expected an integer, got '{text}'");
            if (value < min) throw Error($"{value} is too small (at least {min})");
            if (value > max) throw Error($"{value} is too large (at most {max})");
            return value;
        }

        public ulong ULong()
        {
            var text = Scalar("a non-negative integer");
            return ulong.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var value) ? value : throw Error($"expected a non-negative integer, got '{text}'");
        }

        public double Double(double min, double max)
        {
            var text = Scalar("a number");
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var value) || !double.IsFinite(value))
                throw Error($"expected a number, got '{text}'");
            if (value < min) throw Error(min == double.Epsilon ? $"{text} must be greater than 0" : $"{text} is too small (at least {min.ToString(CultureInfo.InvariantCulture)})");
            if (value > max) throw Error($"{text} is too large (at most {max.ToString(CultureInfo.InvariantCulture)})");
            return value;
        }

        public bool Bool()
        {
            var text = Scalar("true or false");
            return text switch
            {
                "true" or "True" or "TRUE" => true,
                "false" or "False" or "FALSE" => false,
                _ => throw Error($"expected true or false, got '{text}'"),
            };
        }

        public string Word(params string[] allowed)
        {
            var text = Scalar($"one of {string.Join(", ", allowed)}");
            return allowed.Contains(text) ? text : throw Error($"unknown value '{text}' (known: {string.Join(", ", allowed)})");
        }

        public string Device()
        {
            var text = Scalar("auto, cpu, cuda or cuda:N");
            bool ok = text is "auto" or "cpu" or "cuda" || (text.StartsWith("cuda:", StringComparison.Ordinal) && int.TryParse(text.AsSpan(5), NumberStyles.None, CultureInfo.InvariantCulture, out _));
            return ok ? text : throw Error($"unknown device '{text}' (expected auto, cpu, cuda or cuda:N)");
        }

        public YamlMappingNode Mapping() =>
            node as YamlMappingNode ?? throw Error(node is YamlSequenceNode ? "expected a mapping, got a list" : $"expected a mapping, got '{(node as YamlScalarNode)?.Value}'");

        public IEnumerable<Value> Items()
        {
            if (node is not YamlSequenceNode list) throw Error(node is YamlMappingNode ? "expected a list, got a mapping" : $"expected a list such as [16, 32, 64], got '{(node as YamlScalarNode)?.Value}'");
            return list.Children.Select((item, i) => new Value(document, item, $"{path}[{i}]"));
        }

        public IReadOnlyList<int> IntList(int min)
        {
            var values = Items().Select(v => v.Int(min)).ToList();
            return values.Count > 0 ? values : throw Error("expected at least one value");
        }

        public IReadOnlyList<double> DoubleList(int count, double min, double max)
        {
            var values = Items().Select(v => v.Double(min, max)).ToList();
            return values.Count == count ? values : throw Error($"expected {count} values, got {values.Count}");
        }

        public IReadOnlyList<string> StringList() => Items().Select(v => v.String()).ToList();
    }
}
