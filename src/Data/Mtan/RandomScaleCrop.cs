using NativeMtl.Data.Synthetic;

namespace NativeMtl.Data;

/// <summary>One draw of <see cref="RandomScaleCrop"/>: enlarge by <see cref="Scale"/> to
/// (⌊H·s⌋, ⌊W·s⌋), crop H×W at (<see cref="Top"/>, <see cref="Left"/>), then mirror left-right if
/// <see cref="Flip"/>.</summary>
public readonly record struct ScaleCropFlip(double Scale, int Top, int Left, bool Flip)
{
    /// <summary>
    /// Writes the transformed <paramref name="source"/> into <paramref name="target"/> (same size, the image,
    /// label, depth and normal fields). As in Auto-λ: the image is resized bilinearly (PyTorch's
    /// align_corners=false rule), labels, depth and normals by nearest neighbour (PyTorch's 'nearest': source
    /// index ⌊dst·in/out⌋), so invalid zeros and −1 labels stay exact and normals stay unit; depth is divided by
    /// the scale (the view moved closer); a flip negates the normals' x component.
    /// </summary>
    public void Apply(SampleView source, SampleView target)
    {
        int h = source.Height, w = source.Width, pixels = h * w;
        if (target.Height != h || target.Width != w)
            throw new ArgumentException($"ScaleCropFlip: the target is {target.Height}×{target.Width}, the source {h}×{w}");
        int scaledH = (int)(h * Scale), scaledW = (int)(w * Scale);
        if (Top < 0 || Left < 0 || Top + h > scaledH || Left + w > scaledW)
            throw new ArgumentException($"ScaleCropFlip: a {h}×{w} crop at ({Top}, {Left}) leaves the {scaledH}×{scaledW} enlarged image");
        // PyTorch computes the source coordinates in single precision.
        float stepY = (float)h / scaledH, stepX = (float)w / scaledW;
        var nearestX = new int[w];
        var linearX0 = new int[w];
        var linearX1 = new int[w];
        var weightX = new float[w];
        for (int x = 0; x < w; x++)
        {
            int dst = Left + (Flip ? w - 1 - x : x);
            nearestX[x] = Math.Min((int)MathF.Floor(dst * stepX), w - 1);
            (linearX0[x], linearX1[x], weightX[x]) = Linear(dst, stepX, w);
        }
        float depthScale = (float)Scale;
        for (int y = 0; y < h; y++)
        {
            int dstY = Top + y;
            int ny = Math.Min((int)MathF.Floor(dstY * stepY), h - 1);
            var (y0, y1, wy) = Linear(dstY, stepY, h);
            for (int x = 0; x < w; x++)
            {
                int p = y * w + x, nearest = ny * w + nearestX[x];
                for (int c = 0; c < 3; c++)
                {
                    var plane = source.Image.Slice(c * pixels, pixels);
                    float top = (1 - weightX[x]) * plane[y0 * w + linearX0[x]] + weightX[x] * plane[y0 * w + linearX1[x]];
                    float bottom = (1 - weightX[x]) * plane[y1 * w + linearX0[x]] + weightX[x] * plane[y1 * w + linearX1[x]];
                    target.Image[c * pixels + p] = (1 - wy) * top + wy * bottom;
                }
                target.Labels[p] = source.Labels[nearest];
                target.Depth[p] = source.Depth[nearest] / depthScale;
                float nx = source.Normals[nearest];
                target.Normals[p] = Flip ? -nx : nx;
                target.Normals[pixels + p] = source.Normals[pixels + nearest];
                target.Normals[2 * pixels + p] = source.Normals[2 * pixels + nearest];
            }
        }
    }

    /// <summary>The two source indices and the weight of the second for output index dst.</summary>
    private static (int, int, float) Linear(int dst, float step, int size)
    {
        float src = Math.Max(step * (dst + 0.5f) - 0.5f, 0);
        int i0 = (int)src;
        int i1 = i0 < size - 1 ? i0 + 1 : i0;
        return (i0, i1, src - i0);
    }
}

/// <summary>
/// Auto-λ's training augmentation for NYUv2 (its DataTransform with scales [1.0, 1.2, 1.5] and the crop size
/// equal to the image size): a scale drawn uniformly from <see cref="Scales"/>, a uniformly placed crop back to
/// the original size, and a left-right flip with probability <see cref="FlipProbability"/>. A draw depends only
/// on (seed, epoch, index).
/// </summary>
public sealed class RandomScaleCrop(ulong seed, IReadOnlyList<double>? scales = null, double flipProbability = 0.5)
{
    public ulong Seed { get; } = seed;

    public IReadOnlyList<double> Scales { get; } = ValidScales(scales ?? [1.0, 1.2, 1.5]);

    public double FlipProbability { get; } = flipProbability;

    public ScaleCropFlip Draw(int height, int width, long index, int epoch)
    {
        var random = new SceneRandom(Seed, (uint)epoch, index);
        double scale = Scales[random.Int(Scales.Count)];
        int top = random.Int((int)(height * scale) - height + 1);
        int left = random.Int((int)(width * scale) - width + 1);
        return new ScaleCropFlip(scale, top, left, random.NextDouble() < FlipProbability);
    }

    private static IReadOnlyList<double> ValidScales(IReadOnlyList<double> scales)
    {
        if (scales.Count == 0 || scales.Any(s => !(s >= 1)))
            throw new ArgumentException($"RandomScaleCrop: scales must be at least 1 (the crop has the original size), not [{string.Join(", ", scales)}]");
        return [.. scales];
    }
}
