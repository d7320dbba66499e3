using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using NativeMtl.Host.Training;

namespace NativeMtl.Host.Search;

/// <summary>A trained child: its index, the controller's tokens, the cells they make (each task's, as configs write
/// them), its reward and the metrics that made it, and its run folder relative to the search's.</summary>
internal sealed record SearchChild(int Index, IReadOnlyList<int> Tokens, IReadOnlyDictionary<string, IReadOnlyList<string>> Cells, double Reward,
    IReadOnlyList<(string Task, string Metric, double Value)> Terms, string Folder);

/// <summary>
/// search.jsonl: one line per trained child, <c>{"child":…,"tokens":[…],"cells":{task:[…]},"reward":…,
/// "terms":{"task.metric":…},"folder":…}</c>, and one per controller update, <c>{"update":…,"baseline":…}</c>. It is
/// the search's state: a search started again rebuilds its controller from the seed and replays the logged children's
/// rewards, which gives back the same controller, and so the same next samples. Each line is appended with one write
/// and flushed; a torn last line (a crash mid-write) is dropped when the log is opened.
/// </summary>
internal sealed class SearchLog : IDisposable
{
    private readonly JsonLines _lines;

    private SearchLog(string path, IReadOnlyList<SearchChild> children)
    {
        _lines = new JsonLines(path, durable: true);
        Children = children;
    }

    /// <summary>The children logged before this search opened the log.</summary>
    public IReadOnlyList<SearchChild> Children { get; }

    public static SearchLog Open(string path)
    {
        var children = new List<SearchChild>();
        long keep = 0;
        if (File.Exists(path))
        {
            var lines = File.ReadAllText(path).Split('\n');
            for (int i = 0; i < lines.Length; i++)
            {
                if (lines[i].Length == 0) continue;
                JsonNode? line;
                try
                {
                    line = JsonNode.Parse(lines[i]);
                }
                catch (JsonException) when (i == lines.Length - 1)
                {
                    break;
                }
                catch (JsonException e)
                {
                    throw new RunInputException($"{path} line {i + 1}: {e.Message}");
                }
                keep += Encoding.UTF8.GetByteCount(lines[i]) + 1;
                if (line?["child"] is not null) children.Add(Child(line));
            }
        }
        // The torn line goes, so that the next child's line starts a line of its own.
        using (var stream = new FileStream(path, FileMode.OpenOrCreate, FileAccess.Write, FileShare.Read))
            stream.SetLength(Math.Min(keep, stream.Length));
        return new SearchLog(path, children);
    }

    public void Append(SearchChild c) => Write(new JsonObject
    {
        ["child"] = c.Index,
        ["tokens"] = new JsonArray([.. c.Tokens.Select(t => (JsonNode?)t)]),
        ["cells"] = new JsonObject(c.Cells.Select(p => KeyValuePair.Create(p.Key, (JsonNode?)new JsonArray([.. p.Value.Select(s => (JsonNode?)s)])))),
        ["reward"] = MetricsLog.Value(c.Reward),
        ["terms"] = new JsonObject(c.Terms.Select(t => KeyValuePair.Create($"{t.Task}.{t.Metric}", MetricsLog.Value(t.Value)))),
        ["folder"] = c.Folder,
    });

    public void AppendUpdate(int update, double baseline) => Write(new JsonObject { ["update"] = update, ["baseline"] = MetricsLog.Value(baseline) });

    private void Write(JsonObject line) => _lines.Append(line);

    private static SearchChild Child(JsonNode line) => new(
        line["child"]!.GetValue<int>(),
        line["tokens"]!.AsArray().Select(t => t!.GetValue<int>()).ToList(),
        line["cells"]!.AsObject().ToDictionary(p => p.Key, p => (IReadOnlyList<string>)p.Value!.AsArray().Select(s => s!.GetValue<string>()).ToList()),
        line["reward"]?.GetValue<double>() ?? 0,
        line["terms"]!.AsObject().Select(p => (p.Key[..p.Key.LastIndexOf('.')], p.Key[(p.Key.LastIndexOf('.') + 1)..], p.Value?.GetValue<double>() ?? double.NaN)).ToList(),
        line["folder"]!.GetValue<string>());

    public void Dispose() => _lines.Dispose();
}
