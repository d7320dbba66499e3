using NativeMtl.Data.Synthetic;

namespace NativeMtl.Data;

public enum SceneSplit
{
    Train,
    Validation,
}

/// <summary>
/// The embedded default dataset: rooms with objects of <see cref="SceneClasses"/>, rendered on demand.
/// Sample i of a split is the scene <see cref="SceneGenerator.Generate"/>(seed, split, i) at this resolution,
/// bit-identical whichever thread renders it. The splits draw from different random streams, so they never
/// share a scene. Every field of <see cref="DenseFields.All"/> is present; see <see cref="SceneRenderer"/> for
/// the conventions. Labels are never −1: the room is closed, so every ray meets a known surface.
/// </summary>
public sealed class SyntheticScenes : IDenseDataset
{
    public const int DefaultHeight = 96;
    public const int DefaultWidth = 128;
    public const long DefaultTrainCount = 10_000;
    public const long DefaultValidationCount = 1_000;

    public SyntheticScenes(ulong seed = 0, SceneSplit split = SceneSplit.Train, int height = DefaultHeight, int width = DefaultWidth,
        long? count = null)
    {
        if (height <= 0 || width <= 0) throw new ArgumentException($"SyntheticScenes: the resolution must be positive, not {height}×{width}");
        long n = count ?? (split == SceneSplit.Train ? DefaultTrainCount : DefaultValidationCount);
        if (n <= 0) throw new ArgumentException($"SyntheticScenes: the count must be positive, not {n}");
        Seed = seed;
        Split = split;
        Height = height;
        Width = width;
        Count = n;
    }

    public ulong Seed { get; }
    public SceneSplit Split { get; }
    public int Height { get; }
    public int Width { get; }
    public long Count { get; }
    public int ClassCount => SceneClasses.Count;
    public DenseFields Fields => DenseFields.All;

    public Scene Scene(long index) => SceneGenerator.Generate(Seed, (uint)Split, index);

    public DenseSample Render(long index) => SceneRenderer.Render(Scene(index), Height, Width, index);

    /// <summary>Renders scene <paramref name="index"/>; scenes do not change between epochs.</summary>
    public SampleInfo Load(long index, int epoch, SampleView target) => SceneRenderer.Render(Scene(index), index, target);
}
