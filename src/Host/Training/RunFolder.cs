using System.Globalization;
using System.Text.RegularExpressions;

namespace NativeMtl.Host.Training;

/// <summary>
/// A run's folder: config.yaml (the resolved config), metrics.jsonl, checkpoints/step-NNNNNN.safetensors (the
/// newest few), model.safetensors (the final weights for inference, PyTorch names, without auxiliary modules),
/// final_metrics.json and report.html. Every file but metrics.jsonl is replaced atomically. While a run writes it,
/// .lock and .lock-owner hold its writer (<see cref="RunLock"/>).
/// </summary>
internal sealed partial class RunFolder(string path)
{
    public string Path { get; } = path;

    public string Config => Combine("config.yaml");

    public string Metrics => Combine("metrics.jsonl");

    public string CheckpointFolder => Combine("checkpoints");

    public string Model => Combine("model.safetensors");

    public string FinalMetrics => Combine("final_metrics.json");

    /// <summary>Whether the run finished: its last validation wrote final_metrics.json.</summary>
    public bool IsFinished => File.Exists(FinalMetrics);

    /// <summary>The pose task's panel of validation samples (an SVG the report shows), from the last validation.</summary>
    public string PosePanel => Combine("pose_panel.svg");

    public string Report => Combine("report.html");

    /// <summary>run.json: parameter count, steps planned and the sessions of training (<see cref="RunInfo"/>).</summary>
    public string Info => Combine("run.json");

    /// <summary>The checkpoint after <paramref name="step"/> steps.</summary>
    public string Checkpoint(int step) => System.IO.Path.Combine(CheckpointFolder, $"step-{step:D6}.safetensors");

    /// <summary>Checkpoints present, oldest first.</summary>
    public IReadOnlyList<(int Step, string Path)> Checkpoints()
    {
        if (!Directory.Exists(CheckpointFolder)) return [];
        return Directory.EnumerateFiles(CheckpointFolder, "step-*.safetensors")
            .Select(f => (Match: CheckpointName().Match(System.IO.Path.GetFileName(f)), Path: f))
            .Where(m => m.Match.Success)
            .Select(m => (int.Parse(m.Match.Groups[1].Value, CultureInfo.InvariantCulture), m.Path))
            .OrderBy(c => c.Item1)
            .ToList();
    }

    /// <summary>Deletes all but the newest <paramref name="keep"/> checkpoints.</summary>
    public void Prune(int keep)
    {
        var all = Checkpoints();
        foreach (var (_, file) in all.Take(Math.Max(0, all.Count - keep))) File.Delete(file);
    }

    /// <summary>Refuses, as <see cref="RunInputException"/>, a folder a new run must not go into: one that holds a run,
    /// or one that holds anything else (a stale metrics.jsonl, a foreign checkpoint), which the run would mix with
    /// its own. A missing or empty folder is fine.</summary>
    public void RefuseIfNotNew()
    {
        if (File.Exists(Config))
            throw new RunInputException($"{Path} already holds a run; continue it with --resume {Path} or choose another --out");
        if (File.Exists(Path))
            throw new RunInputException($"--out {Path} is a file, not a folder");
        if (!Directory.Exists(Path)) return;
        var strangers = Directory.EnumerateFileSystemEntries(Path).Select(System.IO.Path.GetFileName)
            .Where(name => name is not (".lock" or ".lock-owner")).Order(StringComparer.Ordinal).ToList();
        if (strangers.Count > 0)
            throw new RunInputException($"--out {Path} is not empty ({string.Join(", ", strangers.Take(3))}{(strangers.Count > 3 ? ", …" : "")}) and is not a run folder; choose a new or empty folder");
    }

    /// <summary>Deletes what an atomic write left when its process was killed mid-write (.name.guid.tmp files).</summary>
    public void RemoveOrphanedTemporaries()
    {
        foreach (var folder in new[] { Path, CheckpointFolder }.Where(Directory.Exists))
            foreach (var file in Directory.EnumerateFiles(folder, ".*.tmp")) File.Delete(file);
    }

    /// <summary>runs/&lt;yyyyMMdd-HHmmss&gt;-&lt;balancer&gt; under the current folder (with -2, -3, … if taken).</summary>
    public static string DefaultPath(string balancer, DateTime now)
    {
        var stem = System.IO.Path.Combine("runs", $"{now:yyyyMMdd-HHmmss}-{balancer}");
        var candidate = stem;
        for (int i = 2; Directory.Exists(candidate); i++) candidate = $"{stem}-{i}";
        return candidate;
    }

    private string Combine(string name) => System.IO.Path.Combine(Path, name);

    [GeneratedRegex(@"^step-(\d{6,9})\.safetensors$")]
    private static partial Regex CheckpointName();
}
