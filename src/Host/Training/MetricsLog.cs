using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;

namespace NativeMtl.Host.Training;

/// <summary>A logged training step: the mean of each task's loss since the previous log line, each task's weight
/// at this step, the learning rate of this step and the training throughput since the previous log line.</summary>
internal sealed record TrainRecord(int Step, int Epoch, double Lr, IReadOnlyList<(string Task, double Loss, double Weight)> Tasks, double ImagesPerSecond);

/// <summary>A validation after <see cref="Step"/> steps.</summary>
internal sealed record ValidationRecord(int Step, int Epoch, ValidationMetrics Result);

/// <summary>What a run's metrics.jsonl holds, in file order.</summary>
internal sealed record RunHistory(IReadOnlyList<TrainRecord> Training, IReadOnlyList<ValidationRecord> Validations)
{
    /// <summary>The logged steps whose images/s is a steady rate: all but each session's first logged line, which
    /// covers its warm-up (start-up, the first batches). Without <paramref name="info"/>, one session from step 0.</summary>
    public IReadOnlyList<TrainRecord> SteadyTraining(RunInfo? info)
    {
        var warmUps = (info?.Sessions ?? [new RunSession(default, null, 0, null, "")])
            .Select(session => Training.FirstOrDefault(r => r.Step > session.FromStep)?.Step).OfType<int>().ToHashSet();
        return Training.Where(r => !warmUps.Contains(r.Step)).ToList();
    }
}

/// <summary>
/// metrics.jsonl: one JSON object per line, <c>{"type":"train","step":…,"epoch":…,"lr":…,"loss":{task:…},
/// "weight":{task:…},"images_per_s":…}</c> for a logged step and <c>{"type":"val","step":…,"epoch":…,
/// "metrics":{task:{name:…}}}</c> for a validation. Each line is appended with one write and flushed, so a crash
/// leaves at most a torn last line, which readers skip and a resumed run drops.
/// </summary>
internal sealed class MetricsLog : IDisposable
{
    /// <summary>Plain JSON: every number is a number, and a value that is not finite is written as null (see <see cref="Value"/>).</summary>
    public static readonly JsonSerializerOptions Options = new();

    public static readonly JsonSerializerOptions IndentedOptions = new(Options) { WriteIndented = true };

    /// <summary>A number as JSON: null where it is NaN or infinite, which JSON cannot hold and a string must not stand for.</summary>
    public static JsonNode? Value(double value) => double.IsFinite(value) ? JsonValue.Create(value) : null;

    private readonly JsonLines _lines;

    public MetricsLog(string path) => _lines = new JsonLines(path);

    public void Append(TrainRecord r) => Write(new JsonObject
    {
        ["type"] = "train",
        ["step"] = r.Step,
        ["epoch"] = r.Epoch,
        ["lr"] = r.Lr,
        ["loss"] = Object(r.Tasks.Select(t => (t.Task, Value(t.Loss)))),
        ["weight"] = Object(r.Tasks.Select(t => (t.Task, Value(t.Weight)))),
        ["images_per_s"] = Value(Math.Round(r.ImagesPerSecond, 2)),
    });

    public void Append(ValidationRecord r) => Write(new JsonObject
    {
        ["type"] = "val",
        ["step"] = r.Step,
        ["epoch"] = r.Epoch,
        ["metrics"] = MetricsObject(r.Result),
    });

    /// <summary>What each metric of a result measures: {"name": {"unit": "m", "higher_is_better": false, "reading": …}},
    /// the schema beside the numbers in final_metrics.json and eval's JSON.</summary>
    public static JsonObject MetricsSchema(ValidationMetrics result)
    {
        var schema = new JsonObject();
        foreach (var name in result.Tasks.SelectMany(t => t.Metrics.Select(m => m.Name)).Distinct())
        {
            var info = Models.MetricInfo.Of(name);
            schema[name] = new JsonObject { ["unit"] = info.Unit, ["higher_is_better"] = info.HigherIsBetter, ["reading"] = info.Reading };
        }
        return schema;
    }

    public static JsonObject MetricsObject(ValidationMetrics result) =>
        Object(result.Tasks.Select(t => (t.Task, (JsonNode?)Object(t.Metrics.Select(m => (m.Name, Value(m.Value)))))));

    private void Write(JsonObject line) => _lines.Append(line);

    public void Dispose() => _lines.Dispose();

    /// <summary>Reads a metrics.jsonl; a torn last line is skipped, a bad line elsewhere is an error naming it.</summary>
    public static RunHistory Read(string path)
    {
        var text = File.ReadAllText(path);
        var lines = text.Split('\n');
        var training = new List<TrainRecord>();
        var validations = new List<ValidationRecord>();
        for (int i = 0; i < lines.Length; i++)
        {
            if (lines[i].Length == 0) continue;
            bool last = i == lines.Length - 1;
            try
            {
                var node = JsonNode.Parse(lines[i]) as JsonObject ?? throw new FormatException("not a JSON object");
                int step = (int)Required(node, "step"), epoch = (int)Required(node, "epoch");
                switch ((string?)Required(node, "type"))
                {
                    case "train":
                        var losses = Required(node, "loss").AsObject();
                        var weights = Required(node, "weight").AsObject();
                        training.Add(new TrainRecord(step, epoch, Number(Required(node, "lr")),
                            losses.Select(l => (l.Key, Number(l.Value), Number(Required(weights, l.Key)))).ToList(), Number(Required(node, "images_per_s"))));
                        break;
                    case "val":
                        validations.Add(new ValidationRecord(step, epoch, new ValidationMetrics(Required(node, "metrics").AsObject()
                            .Select(t => (t.Key, (IReadOnlyList<Models.MetricValue>)(t.Value ?? throw new FormatException($"no metrics for {t.Key}")).AsObject()
                                .Select(m => Models.MetricValue.Of(m.Key, Number(m.Value))).ToList())).ToList())));
                        break;
                    default:
                        throw new FormatException($"unknown record type '{node["type"]}'");
                }
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
            {
                if (last) continue;
                throw new RunInputException($"{path} line {i + 1}: not a metrics record ({e.Message})");
            }
        }
        return new RunHistory(training, validations);
    }

    /// <summary>Keeps the complete lines of steps up to <paramref name="step"/> (what a checkpoint at that step had
    /// seen), replacing the file atomically.</summary>
    public static void Truncate(string path, int step)
    {
        if (!File.Exists(path)) return;
        var kept = new StringBuilder();
        foreach (var line in File.ReadAllText(path).Split('\n').SkipLast(1))
        {
            int? lineStep;
            try
            {
                lineStep = (int?)(JsonNode.Parse(line) as JsonObject)?["step"];
            }
            catch (Exception e) when (e is JsonException or FormatException or InvalidOperationException)
            {
                lineStep = null;
            }
            if (lineStep is { } s && s <= step) kept.Append(line).Append('\n');
        }
        AtomicText.Write(path, kept.ToString());
    }

    private static JsonNode Required(JsonObject node, string key) => node[key] ?? throw new FormatException($"no '{key}'");

    /// <summary>A number, NaN for null (a value that was not finite), and the "NaN"/"Infinity" strings of older logs.</summary>
    private static double Number(JsonNode? node) => node switch
    {
        null => double.NaN,
        JsonValue value when value.TryGetValue<double>(out var number) => number,
        _ => double.Parse(node.GetValue<string>(), System.Globalization.CultureInfo.InvariantCulture),
    };

    private static JsonObject Object(IEnumerable<(string Key, JsonNode? Value)> entries)
    {
        var o = new JsonObject();
        foreach (var (key, value) in entries) o[key] = value;
        return o;
    }
}
