using System.Text.Json;
using System.Text.Json.Nodes;
using NativeMtl.Host.Training;

namespace NativeMtl.Host.Sweep;

/// <summary>
/// sweep.json in a sweep's out folder: every cell's index, folder name and overrides, written when the sweep starts, so
/// that <c>--summarize</c> knows each cell's setup without the sweep file (folder names are cut at 80 characters).
/// </summary>
internal static class SweepManifest
{
    public const string FileName = "sweep.json";

    /// <summary>Writes the manifest, creating the out folder when it does not exist yet.</summary>
    public static void Write(SweepSpec spec)
    {
        Directory.CreateDirectory(spec.Out);
        AtomicText.Write(Path.Combine(spec.Out, FileName), Json(spec));
    }

    private static string Json(SweepSpec spec) => new JsonObject
    {
        ["cells"] = new JsonArray(spec.Cells().Select(c => (JsonNode)new JsonObject
        {
            ["index"] = c.Index,
            ["folder"] = Path.GetFileName(c.Folder),
            ["overrides"] = new JsonArray(c.Overrides.Select(o => (JsonNode)JsonValue.Create(o)!).ToArray()),
        }).ToArray()),
    }.ToJsonString(MetricsLog.IndentedOptions) + "\n";

    /// <summary>The cells listed in <paramref name="folder"/>/sweep.json, their folders under <paramref name="folder"/>.</summary>
    public static IReadOnlyList<SweepCell> Read(string folder)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path)) throw new RunInputException($"{folder}: no {FileName}, so not a sweep's out folder (nativemtl sweep writes it when it starts)");
        try
        {
            return JsonNode.Parse(File.ReadAllText(path))!["cells"]!.AsArray().Select(c => new SweepCell((int)c!["index"]!,
                Path.Combine(folder, (string)c["folder"]!), c["overrides"]!.AsArray().Select(o => (string)o!).ToList())).ToList();
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NullReferenceException)
        {
            throw new RunInputException($"{path}: not a sweep manifest ({e.Message})");
        }
    }
}
