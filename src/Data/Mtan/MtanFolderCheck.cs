using System.Collections.Concurrent;

namespace NativeMtl.Data;

/// <summary>One split of a checked folder: how many samples it has and of what size (0×0 when it cannot be opened).</summary>
public sealed record MtanSplitSummary(string Split, long Samples, int Height, int Width);

/// <summary>What <see cref="MtanFolderCheck"/> found: the splits, and every defect, split by split in sample order.</summary>
public sealed record MtanCheckResult(IReadOnlyList<MtanSplitSummary> Splits, IReadOnlyList<DataFormatException> Defects)
{
    public long Samples => Splits.Sum(s => s.Samples);

    public bool IsValid => Defects.Count == 0;
}

/// <summary>
/// Reads every sample of an MTAN-format folder as training would and checks it (<see cref="MtanDataset.Check"/>),
/// so that a bad file is found before training rather than hours into it. A split that cannot be opened (a missing
/// folder or file, a bad first image) is one defect; every sample's first defect is another. Samples are read in
/// parallel, each thread with its own buffers.
/// </summary>
public static class MtanFolderCheck
{
    /// <summary>The splits of <paramref name="root"/>: its subfolders that hold an image/ folder, sorted.</summary>
    public static IReadOnlyList<string> Splits(string root) => Directory.Exists(root)
        ? Directory.EnumerateDirectories(root).Where(d => Directory.Exists(Path.Combine(d, "image")))
            .Select(d => Path.GetFileName(d)).Order(StringComparer.Ordinal).ToList()
        : [];

    /// <param name="progress">Called now and then with the samples checked so far and the total, from any thread.</param>
    public static MtanCheckResult Run(string root, IReadOnlyList<string> splits, int classCount, int threads, Action<long, long>? progress = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(threads, 1);
        var opened = new List<(string Split, MtanDataset? Dataset, DataFormatException? Defect)>();
        foreach (var split in splits)
        {
            try
            {
                opened.Add((split, new MtanDataset(root, split, classCount), null));
            }
            catch (DataFormatException e)
            {
                opened.Add((split, null, e));
            }
        }
        long total = opened.Sum(o => o.Dataset?.Count ?? 0), done = 0;
        long step = Math.Max(1, total / 100);
        var defects = new List<DataFormatException>();
        foreach (var (_, dataset, defect) in opened)
        {
            if (defect is not null) defects.Add(defect);
            if (dataset is null) continue;
            var found = new ConcurrentDictionary<long, DataFormatException>();
            Parallel.For(0, dataset.Count, new ParallelOptions { MaxDegreeOfParallelism = threads },
                () => new DenseSample(dataset.Height, dataset.Width, dataset.Fields),
                (index, _, scratch) =>
                {
                    try
                    {
                        dataset.Check(index, scratch);
                    }
                    catch (DataFormatException e)
                    {
                        found[index] = e;
                    }
                    long now = Interlocked.Increment(ref done);
                    if (now % step == 0 || now == total) progress?.Invoke(now, total);
                    return scratch;
                },
                _ => { });
            defects.AddRange(found.OrderBy(f => f.Key).Select(f => f.Value));
        }
        var summaries = opened.Select(o => new MtanSplitSummary(o.Split, o.Dataset?.Count ?? 0, o.Dataset?.Height ?? 0, o.Dataset?.Width ?? 0)).ToList();
        return new MtanCheckResult(summaries, defects);
    }
}
