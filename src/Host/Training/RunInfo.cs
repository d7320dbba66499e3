using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NativeMtl.Host.Training;

/// <summary>One stretch of training in a run folder: a start (or resume) to a stop, and the most tensor bytes live at
/// once meanwhile (null when unknown: see <see cref="RunPeakMemory"/>).</summary>
internal sealed record RunSession(DateTime StartedUtc, DateTime? EndedUtc, int FromStep, int? ToStep, string Device, long? PeakBytes = null);

/// <summary>
/// run.json: what a report needs that the metrics do not hold: the model's parameter count, the steps planned, and
/// each session of training (started, ended, the steps it covered, the device, its peak memory), so the report can give
/// the start time, the time spent, and leave out the images/s of each session's first logged step (its warm-up), and a
/// sweep's summary the memory of each run.
/// </summary>
internal sealed record RunInfo(long Parameters, int StepsPlanned, string Balancer, IReadOnlyList<RunSession> Sessions)
{
    public static RunInfo? Read(string path)
    {
        if (!File.Exists(path)) return null;
        try
        {
            var node = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
            var sessions = node["sessions"]!.AsArray().Select(s => new RunSession(
                Time(s!["started_utc"])!.Value, Time(s["ended_utc"]), (int)s["from_step"]!, (int?)s["to_step"], (string?)s["device"] ?? "",
                (long?)s["peak_bytes"])).ToList();
            return new RunInfo((long)node["parameters"]!, (int)node["steps_planned"]!, (string?)node["balancer"] ?? "", sessions);
        }
        catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException or NullReferenceException)
        {
            throw new RunInputException($"{path}: not a run description ({e.Message})");
        }
    }

    public void Write(string path) => AtomicText.Write(path, new JsonObject
    {
        ["parameters"] = Parameters,
        ["steps_planned"] = StepsPlanned,
        ["balancer"] = Balancer,
        ["sessions"] = new JsonArray(Sessions.Select(s => (JsonNode)new JsonObject
        {
            ["started_utc"] = Text(s.StartedUtc),
            ["ended_utc"] = s.EndedUtc is { } e ? Text(e) : null,
            ["from_step"] = s.FromStep,
            ["to_step"] = s.ToStep,
            ["device"] = s.Device,
            ["peak_bytes"] = s.PeakBytes,
        }).ToArray()),
    }.ToJsonString(new JsonSerializerOptions { WriteIndented = true }) + "\n");

    /// <summary>This run with a new session begun at <paramref name="fromStep"/>: the folder's earlier sessions are kept
    /// up to that step (a resume from an older checkpoint redoes what came after it).</summary>
    public static RunInfo Begin(string path, long parameters, int stepsPlanned, string balancer, int fromStep, string device)
    {
        var earlier = (Read(path)?.Sessions ?? []).Where(s => s.FromStep < fromStep)
            .Select(s => s.ToStep > fromStep ? s with { ToStep = fromStep } : s);
        return new RunInfo(parameters, stepsPlanned, balancer, [.. earlier, new RunSession(DateTime.UtcNow, null, fromStep, null, device)]);
    }

    /// <summary>This run with its last session ended after <paramref name="step"/>.</summary>
    public RunInfo End(int step, long? peakBytes) =>
        this with { Sessions = [.. Sessions.SkipLast(1), Sessions[^1] with { EndedUtc = DateTime.UtcNow, ToStep = step, PeakBytes = peakBytes }] };

    /// <summary>The largest peak of the sessions that know theirs; null when none does.</summary>
    public long? PeakBytes => Sessions.Max(s => s.PeakBytes);

    /// <summary>Time spent training, over every session that ended.</summary>
    public TimeSpan Duration => Sessions.Where(s => s.EndedUtc is not null).Aggregate(TimeSpan.Zero, (t, s) => t + (s.EndedUtc!.Value - s.StartedUtc));

    private static string Text(DateTime t) => t.ToString("yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture);

    private static DateTime? Time(JsonNode? node) => node is null ? null
        : DateTime.ParseExact((string)node!, "yyyy-MM-ddTHH:mm:ssZ", CultureInfo.InvariantCulture, DateTimeStyles.AdjustToUniversal | DateTimeStyles.AssumeUniversal);
}
