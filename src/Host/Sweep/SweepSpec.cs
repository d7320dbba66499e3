using System.Text;
using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;
using NativeMtl.Host.Config;
using NativeMtl.Host.Training;

namespace NativeMtl.Host.Sweep;

/// <summary>One run of a sweep: its index, its folder, and the config overrides that make it (<c>FIELD=VALUE</c>, the
/// value YAML as <c>--set</c> takes it).</summary>
internal sealed record SweepCell(int Index, string Folder, IReadOnlyList<string> Overrides)
{
    /// <summary>"field=value, …" for progress lines.</summary>
    public string Label => string.Join(", ", Overrides);

    /// <summary>Whether the cell's run finished (it has final_metrics.json): such a cell is never run again.</summary>
    public bool IsDone => new RunFolder(Folder).IsFinished;
}

/// <summary>
/// A sweep file: <c>base</c> (a train config, relative to the sweep file; optional), <c>out</c> (where the cells' run
/// folders go, relative to the sweep file), <c>list</c> (setups, each a mapping of config fields to values: for
/// settings that go together, such as a single-task run's tasks and balancer), <c>grid</c> (config field → list of
/// values: every combination is a cell, the last field varying fastest), at least one of the two (with both, every
/// setup of the list meets every combination of the grid), and <c>set</c> (overrides every cell takes). Each cell is an
/// ordinary run folder <c>out/NNN-field=value,…</c>.
/// </summary>
internal sealed record SweepSpec(string? Base, string Out, IReadOnlyList<IReadOnlyList<string>> List, IReadOnlyList<(string Field, IReadOnlyList<string> Values)> Grid, IReadOnlyList<string> Set)
{
    private static readonly string[] Keys = ["base", "out", "list", "grid", "set"];

    public static SweepSpec Read(string path)
    {
        var file = SpecFile.Load("sweep", path, Keys);
        Func<YamlNode, string> Where = file.Where;
        var folder = file.Folder;
        string? basePath = null, outPath = null;
        var setupList = new List<IReadOnlyList<string>>();
        var grid = new List<(string, IReadOnlyList<string>)>();
        var set = new List<string>();
        foreach (var (keyNode, value) in file.Root.Children)
        {
            var key = ((YamlScalarNode)keyNode).Value ?? "";
            switch (key)
            {
                case "base":
                    basePath = Path.Combine(folder, Scalar(value, Where, "base"));
                    if (!File.Exists(basePath)) throw new ConfigException($"{Where(value)}: base {basePath}: no such file");
                    break;
                case "out":
                    outPath = Path.Combine(folder, Scalar(value, Where, "out"));
                    break;
                case "grid":
                    if (value is not YamlMappingNode fields || fields.Children.Count == 0)
                        throw new ConfigException($"{Where(value)}: grid: expected config fields, each with a list of values");
                    foreach (var (field, values) in fields.Children)
                    {
                        var name = ((YamlScalarNode)field).Value ?? "";
                        if (values is not YamlSequenceNode list || list.Children.Count == 0)
                            throw new ConfigException($"{Where(values)}: grid.{name}: expected a list of values, such as [equal, auxilight]");
                        grid.Add((name, list.Children.Select(Flow).ToList()));
                    }
                    break;
                case "list":
                    if (value is not YamlSequenceNode setups || setups.Children.Count == 0)
                        throw new ConfigException($"{Where(value)}: list: expected setups, each a mapping of config fields to values");
                    foreach (var setup in setups.Children)
                        setupList.Add(Overrides(setup, Where, "list entry"));
                    break;
                case "set":
                    set.AddRange(Overrides(value, Where, "set"));
                    break;
                default:
                    throw new ConfigException($"{Where(keyNode)}: unknown field '{key}' (known: {string.Join(", ", Keys)})");
            }
        }
        if (outPath is null) throw new ConfigException($"sweep {path}: out: required (the folder that holds the cells' run folders)");
        if (grid.Count == 0 && setupList.Count == 0)
            throw new ConfigException($"sweep {path}: grid or list: required (config fields each with a list of values, or a list of setups)");
        return new SweepSpec(basePath, outPath, setupList, grid, set);
    }

    /// <summary>Every setup of the list with every combination of the grid's values, in order (the last grid field
    /// fastest, the list slowest).</summary>
    public IReadOnlyList<SweepCell> Cells()
    {
        IEnumerable<IReadOnlyList<string>> combinations = List.Count == 0 ? [[]] : List;
        foreach (var (field, values) in Grid)
            combinations = combinations.SelectMany(c => values.Select(v => (IReadOnlyList<string>)[.. c, $"{field}={v}"])).ToList();
        return combinations.Select((overrides, i) => new SweepCell(i, Path.Combine(Out, $"{i:000}-{FolderName(overrides)}"), overrides)).ToList();
    }

    private static string FolderName(IEnumerable<string> overrides)
    {
        var name = new StringBuilder();
        foreach (char c in string.Join(",", overrides)) name.Append(char.IsAsciiLetterOrDigit(c) || c is '=' or ',' or '.' or '-' or '_' ? c : '_');
        return name.Length > 80 ? name.ToString(0, 80) : name.ToString();
    }

    /// <summary>A mapping of config fields to values as <c>--set</c> overrides, <c>FIELD=VALUE</c>.</summary>
    internal static IReadOnlyList<string> Overrides(YamlNode node, Func<YamlNode, string> where, string what) =>
        node is YamlMappingNode { Children.Count: > 0 } fields
            ? fields.Children.Select(e => $"{((YamlScalarNode)e.Key).Value}={Flow(e.Value)}").ToList()
            : throw new ConfigException($"{where(node)}: {what}: expected config fields with a value each");

    internal static string Scalar(YamlNode node, Func<YamlNode, string> where, string key) =>
        node is YamlScalarNode { Value: { Length: > 0 } text } ? text : throw new ConfigException($"{where(node)}: {key}: expected a path");

    /// <summary>A YAML value as one line of flow YAML, as <c>--set</c> reads it.</summary>
    internal static string Flow(YamlNode node) => node switch
    {
        // A quoted scalar stays quoted: it may hold a comma or a colon, or be a string that looks like a number.
        YamlScalarNode { Style: ScalarStyle.SingleQuoted or ScalarStyle.DoubleQuoted } s => $"'{(s.Value ?? "").Replace("'", "''")}'",
        YamlScalarNode s => s.Value ?? "null",
        YamlSequenceNode list => $"[{string.Join(", ", list.Children.Select(Flow))}]",
        YamlMappingNode map => $"{{{string.Join(", ", map.Children.Select(e => $"{Flow(e.Key)}: {Flow(e.Value)}"))}}}",
        _ => throw new ConfigException($"line {node.Start.Line}: unsupported YAML"),
    };
}
