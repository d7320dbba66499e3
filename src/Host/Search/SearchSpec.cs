using System.Globalization;
using YamlDotNet.RepresentationModel;
using NativeMtl.Host.Config;
using NativeMtl.Host.Sweep;
using NativeMtl.Models;

namespace NativeMtl.Host.Search;

/// <summary>The controller's and PPO's settings of a search file's <c>controller</c> mapping; the defaults are the
/// engine's (<see cref="ControllerOptions"/>, <see cref="PpoOptions"/>).</summary>
internal sealed record ControllerSettings(ControllerOptions Controller, PpoOptions Ppo)
{
    public ControllerSettings() : this(new ControllerOptions(), new PpoOptions()) { }
}

/// <summary>
/// A search file (seed 001 §3.3): <c>base</c> (the children's train config, relative to the file; optional),
/// <c>set</c> (overrides of it, for the children and the best architecture's config alike), <c>child_set</c> (overrides
/// for the children only, such as a data split of their own to be rewarded on), <c>out</c> (the search's
/// folder), <c>tasks</c> (whose auxiliary modules are searched, in the hierarchy's order; all the config's tasks when
/// absent), <c>cells</c> (P per task; as many as the modules have taps when absent), <c>children</c> (architectures to
/// sample and train), <c>batch</c> (children per controller update), <c>child_steps</c> (each child's training steps),
/// <c>seed</c> (the controller's initial weights and its samples) and <c>controller</c> (its settings).
/// </summary>
internal sealed record SearchSpec(string? Base, string Out, IReadOnlyList<string> Set, IReadOnlyList<string> ChildSet, IReadOnlyList<string>? Tasks, int? Cells,
    int Children, int Batch, int ChildSteps, ulong Seed, ControllerSettings Controller)
{
    private static readonly string[] Keys = ["base", "out", "set", "child_set", "tasks", "cells", "children", "batch", "child_steps", "seed", "controller"];
    private static readonly string[] ControllerKeys = ["hidden", "lr", "epochs", "clip", "entropy", "baseline_decay"];

    public static SearchSpec Read(string path)
    {
        var file = SpecFile.Load("search", path, Keys);
        var fields = file.Root.Children.ToDictionary(e => Key(file, e.Key, Keys), e => e.Value);
        YamlNode? Field(string key) => fields.GetValueOrDefault(key);
        int Whole(YamlNode? node, string key, int fallback, int min = 1) => node is null ? fallback
            : int.TryParse(SweepSpec.Scalar(node, file.Where, key), NumberStyles.None, CultureInfo.InvariantCulture, out int n) && n >= min ? n
            : throw new ConfigException($"{file.Where(node)}: {key}: expected a whole number of at least {min}");
        double Number(YamlNode? node, string key, double fallback, double min, double max) => node is null ? fallback
            : double.TryParse(SweepSpec.Scalar(node, file.Where, key), NumberStyles.Float, CultureInfo.InvariantCulture, out double x) && x >= min && x <= max ? x
            : throw new ConfigException($"{file.Where(node)}: {key}: expected a number from {min.ToString(CultureInfo.InvariantCulture)} to {max.ToString(CultureInfo.InvariantCulture)}");

        string? basePath = Field("base") is { } b ? Path.GetFullPath(SweepSpec.Scalar(b, file.Where, "base"), file.Folder) : null;
        if (basePath is not null && !File.Exists(basePath)) throw new ConfigException($"{file.Where(Field("base")!)}: base {basePath}: no such file");
        var outPath = Field("out") is { } o ? Path.GetFullPath(SweepSpec.Scalar(o, file.Where, "out"), file.Folder)
            : throw new ConfigException($"search {path}: out: required (the search's folder: its log, its children's run folders, the best architecture)");
        IReadOnlyList<string>? tasks = Field("tasks") is { } t
            ? t is YamlSequenceNode { Children.Count: > 0 } list ? list.Children.Select(c => SweepSpec.Scalar(c, file.Where, "tasks")).ToList()
                : throw new ConfigException($"{file.Where(t)}: tasks: expected a list of task names, such as [seg, depth]")
            : null;
        int children = Whole(Field("children"), "children", 20);
        int batch = Whole(Field("batch"), "batch", 4);
        if (children % batch != 0) throw new ConfigException($"{file.Where(Field("children") ?? Field("batch") ?? file.Root)}: children ({children}) must be a multiple of batch ({batch}): the controller learns from whole batches");
        var controller = new ControllerSettings();
        if (Field("controller") is { } c)
        {
            if (c is not YamlMappingNode map) throw new ConfigException($"{file.Where(c)}: controller: expected a mapping of {string.Join(", ", ControllerKeys)}");
            var settings = map.Children.ToDictionary(e => Key(file, e.Key, ControllerKeys), e => e.Value);
            var (lstm, ppo) = controller;
            controller = new ControllerSettings(
                lstm with { Hidden = Whole(settings.GetValueOrDefault("hidden"), "controller.hidden", lstm.Hidden) },
                new PpoOptions(
                    Number(settings.GetValueOrDefault("lr"), "controller.lr", ppo.LearningRate, 1e-12, 10),
                    Whole(settings.GetValueOrDefault("epochs"), "controller.epochs", ppo.Epochs),
                    Number(settings.GetValueOrDefault("clip"), "controller.clip", ppo.Clip, 1e-6, 1),
                    Number(settings.GetValueOrDefault("entropy"), "controller.entropy", ppo.EntropyWeight, 0, 10),
                    Number(settings.GetValueOrDefault("baseline_decay"), "controller.baseline_decay", ppo.BaselineDecay, 0, 1)));
        }
        IReadOnlyList<string> Overrides(string key) => Field(key) is { } node ? SweepSpec.Overrides(node, file.Where, key) : [];
        return new SearchSpec(basePath, outPath, Overrides("set"), Overrides("child_set"), tasks,
            Field("cells") is { } cells ? Whole(cells, "cells", 1) : null, children, batch, Whole(Field("child_steps"), "child_steps", 100),
            (ulong)Whole(Field("seed"), "seed", 0, min: 0), controller);
    }

    private static string Key(SpecFile file, YamlNode node, string[] known)
    {
        var key = (node as YamlScalarNode)?.Value ?? "";
        return known.Contains(key) ? key : throw new ConfigException($"{file.Where(node)}: unknown field '{key}' (known: {string.Join(", ", known)})");
    }
}
