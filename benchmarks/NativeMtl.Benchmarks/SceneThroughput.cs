using System.Diagnostics;
using NativeMtl.Data;

namespace NativeMtl.Benchmarks;

/// <summary>
/// Images per second of the synthetic scene generator at 96×128 and 288×384: rendered one after another on
/// one thread, and through the prefetching <see cref="BatchLoader"/> (batches of 8 uploaded as CPU tensors)
/// with as many workers as the machine has cores, or as the first argument says.
/// </summary>
public static class SceneThroughput
{
    public static void Run(string[] args)
    {
        int workers = args is [var w, ..] ? int.Parse(w) : Environment.ProcessorCount;
        Console.WriteLine($"| resolution | single thread (img/s) | loader, {workers} workers (img/s) |");
        Console.WriteLine("|---|---|---|");
        foreach (var (height, width, images) in new[] { (96, 128, 400), (288, 384, 48) })
        {
            var scenes = new SyntheticScenes(seed: 1, height: height, width: width, count: images);
            for (int i = 0; i < 3; i++) scenes.Render(i);

            var clock = Stopwatch.StartNew();
            for (int i = 0; i < images; i++) scenes.Render(i);
            double single = images / clock.Elapsed.TotalSeconds;

            clock.Restart();
            using (var loader = new BatchLoader(scenes, new BatchLoaderOptions { BatchSize = 8, Workers = workers }))
                foreach (var batch in loader.Batches()) batch.Dispose();
            double loaded = images / clock.Elapsed.TotalSeconds;

            Console.WriteLine($"| {height}×{width} | {single:F1} | {loaded:F1} |");
        }
    }

    public static void WriteSamples(string folder, long index)
    {
        foreach (var (height, width) in new[] { (96, 128), (288, 384) })
        {
            var scenes = new SyntheticScenes(height: height, width: width);
            var paths = SampleImages.Write(scenes.Render(index), folder, $"scene{index}_{height}x{width}_");
            Console.WriteLine($"wrote {paths.Count} files to {folder} ({height}×{width})");
        }
    }
}
