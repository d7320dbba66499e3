using System.Text;
using System.Text.Json.Nodes;

namespace NativeMtl.Host.Training;

/// <summary>An append-only JSON-lines file (metrics.jsonl, search.jsonl): each line goes out in one write and is
/// flushed, so a crash leaves at most a torn last line, which the files' readers drop. <paramref name="durable"/>
/// flushes to the disk as well, for lines that cost much to make again.</summary>
internal sealed class JsonLines(string path, bool durable = false) : IDisposable
{
    private readonly FileStream _stream = new(path, FileMode.Append, FileAccess.Write, FileShare.Read);

    public void Append(JsonObject line)
    {
        _stream.Write(Encoding.UTF8.GetBytes(line.ToJsonString(MetricsLog.Options) + "\n"));
        _stream.Flush(flushToDisk: durable);
    }

    public void Dispose() => _stream.Dispose();
}
