using System.Text.Json;
using NativeMtl.Data;
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

    /// <summary>The checkout the tests were built from (the folder holding NativeMtl.sln).</summary>
    public static string RepositoryRoot()
    {
        var folder = AppContext.BaseDirectory;
        while (!File.Exists(Path.Combine(folder, "NativeMtl.sln"))) folder = Path.GetDirectoryName(folder) ?? throw new DirectoryNotFoundException("no NativeMtl.sln above the tests");
        return folder;
    }

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

    public static void AssertSameTensors(string expected, string actual)
    {
        var (a, b) = (Tensors(expected), Tensors(actual));
        Assert.Equal(a.Keys.Order(), b.Keys.Order());
        Assert.All(a, e => Assert.True(e.Value.AsSpan().SequenceEqual(b[e.Key]), $"tensor {e.Key} differs"));
    }

    /// <summary>Writes synthetic scenes in MTAN's layout: {split}/{image,label,depth,normal}/{i}.npy, channels last.</summary>
    public static void WriteMtanFolder(string root, string split, int count, ulong seed)
    {
        var scenes = new SyntheticScenes(seed, height: 32, width: 40, count: count);
        foreach (var task in new[] { "image", "label", "depth", "normal" }) Directory.CreateDirectory(Path.Combine(root, split, task));
        static float[] ChannelsLast(float[] planes, int channels)
        {
            int pixels = planes.Length / channels;
            var result = new float[planes.Length];
            for (int c = 0; c < channels; c++)
                for (int p = 0; p < pixels; p++) result[p * channels + c] = planes[c * pixels + p];
            return result;
        }
        for (int i = 0; i < count; i++)
        {
            var sample = scenes.Render(i);
            Npy.Write(Path.Combine(root, split, "image", $"{i}.npy"), ChannelsLast(sample.Image, 3), 32, 40, 3);
            Npy.Write(Path.Combine(root, split, "label", $"{i}.npy"), Array.ConvertAll(sample.Labels, l => (float)l), 32, 40);
            Npy.Write(Path.Combine(root, split, "depth", $"{i}.npy"), sample.Depth, 32, 40, 1);
            Npy.Write(Path.Combine(root, split, "normal", $"{i}.npy"), ChannelsLast(sample.Normals, 3), 32, 40, 3);
        }
    }
}
