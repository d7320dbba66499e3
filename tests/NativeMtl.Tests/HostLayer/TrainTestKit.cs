using System.Text.Json;
using NativeMtl.Host;

namespace NativeMtl.Tests.HostLayer;

/// <summary>A folder under the system's temporary folder, deleted with everything in it when disposed.</summary>
internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), $"nativemtl-test-{Guid.NewGuid():N}");

    public string this[string name] => System.IO.Path.Combine(Path, name);

    /// <summary>Writes a file in the folder and returns its path.</summary>
    public string Write(string name, string text)
    {
        File.WriteAllText(this[name], text);
        return this[name];
    }

    /// <summary>Every file below the folder, relative to it, sorted.</summary>
    public IReadOnlyList<string> Files() =>
        Directory.EnumerateFiles(Path, "*", SearchOption.AllDirectories).Select(f => System.IO.Path.GetRelativePath(Path, f)).Order(StringComparer.Ordinal).ToList();

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>Tiny training configs (32×40 images, a ResNet of 8/16/16 channels with one block per stage, batches of
/// two, one loader thread) and a way to run the command line in-process.</summary>
internal static class TrainTestKit
{
    public const string TinyConfig = """
        seed: 5
        device: cpu
        data:
          dataset: synthetic
          height: 32
          width: 40
          train_size: 64
          val_size: 4
          workers: 1
        model:
          widths: [8, 16, 16]
          blocks: [1, 1, 1]
        optimizer:
          name: sgd
          lr: 0.02
        training:
          steps: 6
          batch_size: 2
          log_every: 2
          val_every: 3
          checkpoint_every: 2
        """;

    public static (int Code, string Output, string Error) Run(params string[] args)
    {
        var (output, error) = (new StringWriter(), new StringWriter());
        int code = Cli.Run(args, output, error);
        return (code, output.ToString(), error.ToString());
    }

    /// <summary>The lines written to stderr, without empty ones.</summary>
    public static string[] Lines(string text) => text.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>Every tensor of a safetensors file by name, as its raw bytes (the metadata left out).</summary>
    public static IReadOnlyDictionary<string, byte[]> Tensors(string path)
    {
        var bytes = File.ReadAllBytes(path);
        long headerLength = BitConverter.ToInt64(bytes, 0);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, (int)headerLength));
        return header.RootElement.EnumerateObject().Where(e => e.Name != "__metadata__").ToDictionary(e => e.Name, e =>
        {
            var offsets = e.Value.GetProperty("data_offsets");
            int begin = (int)(8 + headerLength + offsets[0].GetInt64()), end = (int)(8 + headerLength + offsets[1].GetInt64());
            return bytes[begin..end];
        });
    }
}
