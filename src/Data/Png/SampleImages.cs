namespace NativeMtl.Data;

/// <summary>
/// Writes a sample's fields as PNG files for people to look at: <c>rgb</c>; <c>labels</c> (one colour per
/// class, black for −1); <c>depth</c> (viridis from the nearest, dark, to the farthest, yellow, valid depth);
/// <c>normals</c> (RGB = (n + 1)/2 in the camera frame: x right, y down, z forward, so surfaces facing the
/// camera are dark in blue); <c>curvature_k1</c> and <c>curvature_k2</c> (blue negative, white zero, red
/// positive, saturating as tanh(k / 5 m⁻¹)); <c>instances</c> (black room, one colour per object);
/// <c>object_coordinates</c> (RGB = (p / r + 1)/2 with r the object's bounding radius, black room); and
/// <c>overview</c>, all panels side by side. Fields the sample lacks are skipped.
/// </summary>
public static class SampleImages
{
    private static readonly byte[][] ClassColors =
    [
        [140, 110, 80], [180, 180, 170], [235, 235, 220], [230, 25, 75], [60, 180, 75], [255, 225, 25], [0, 130, 200],
        [245, 130, 48], [145, 30, 180], [70, 240, 240], [240, 50, 230], [210, 245, 60], [0, 128, 128],
    ];

    private static readonly (double, double, double)[] Viridis =
    [
        (0.267, 0.005, 0.329), (0.229, 0.322, 0.546), (0.128, 0.567, 0.551), (0.369, 0.789, 0.383), (0.993, 0.906, 0.144),
    ];

    /// <summary>Writes the panels into <paramref name="folder"/> (created if needed), each named
    /// <c>{prefix}{panel}.png</c>, and returns their paths.</summary>
    public static IReadOnlyList<string> Write(DenseSample sample, string folder, string prefix = "")
    {
        Directory.CreateDirectory(folder);
        var panels = Panels(sample);
        var paths = new List<string>();
        foreach (var (name, rgb) in panels)
        {
            var path = Path.Combine(folder, $"{prefix}{name}.png");
            Png.Write(path, sample.Width, sample.Height, rgb, PngColor.Rgb);
            paths.Add(path);
        }
        var overviewPath = Path.Combine(folder, $"{prefix}overview.png");
        var (width, height, overview) = Overview(sample.Width, sample.Height, panels.Select(p => p.Rgb).ToList());
        Png.Write(overviewPath, width, height, overview, PngColor.Rgb);
        paths.Add(overviewPath);
        return paths;
    }

    /// <summary>Each present field as an RGB image (3 bytes per pixel, row-major).</summary>
    public static IReadOnlyList<(string Name, byte[] Rgb)> Panels(DenseSample sample)
    {
        int pixels = sample.Height * sample.Width;
        var panels = new List<(string, byte[])>();
        if (sample.Image.Length > 0)
            panels.Add(("rgb", Rgb(sample.Image, 0, pixels)));
        if (sample.Labels.Length > 0)
            panels.Add(("labels", Interleave(pixels, (p, c) => sample.Labels[p] is int l && l >= 0 ? ClassColors[l % ClassColors.Length][c] : (byte)0)));
        if (sample.Depth.Length > 0)
        {
            var valid = sample.Depth.Where(d => d > 0).DefaultIfEmpty(1).ToArray();
            float near = valid.Min(), far = Math.Max(valid.Max(), near + 1e-6f);
            panels.Add(("depth", Interleave(pixels, (p, c) => sample.Depth[p] > 0 ? Colormap(Viridis, (sample.Depth[p] - near) / (far - near), c) : (byte)0)));
        }
        if (sample.Normals.Length > 0)
            panels.Add(("normals", Interleave(pixels, (p, c) => IsZero(sample.Normals, pixels, p) ? (byte)0 : ToByte(0.5 * (sample.Normals[c * pixels + p] + 1)))));
        if (sample.Curvature.Length > 0)
        {
            panels.Add(("curvature_k1", Interleave(pixels, (p, c) => Diverging(sample.Curvature[p], c))));
            panels.Add(("curvature_k2", Interleave(pixels, (p, c) => Diverging(sample.Curvature[pixels + p], c))));
        }
        if (sample.Instances.Length > 0)
            panels.Add(("instances", Interleave(pixels, (p, c) => sample.Instances[p] == 0 ? (byte)0 : InstanceColor(sample.Instances[p], c))));
        if (sample.ObjectCoordinates.Length > 0)
        {
            var radius = sample.Info.Objects.ToDictionary(o => o.InstanceId, o => o.BoundingRadius);
            panels.Add(("object_coordinates", Interleave(pixels, (p, c) =>
            {
                int id = sample.Instances.Length > 0 ? sample.Instances[p] : 0;
                return id == 0 || !radius.TryGetValue(id, out double r) ? (byte)0 : ToByte(0.5 * (sample.ObjectCoordinates[c * pixels + p] / r + 1));
            })));
        }
        return panels;
    }

    /// <summary>Panels in rows of four with 2-pixel white gaps.</summary>
    private static (int Width, int Height, byte[] Rgb) Overview(int width, int height, IReadOnlyList<byte[]> panels)
    {
        const int gap = 2, columns = 4;
        int rows = (panels.Count + columns - 1) / columns;
        int cols = Math.Min(columns, panels.Count);
        int totalWidth = cols * width + (cols + 1) * gap, totalHeight = rows * height + (rows + 1) * gap;
        var rgb = new byte[totalWidth * totalHeight * 3];
        Array.Fill(rgb, (byte)255);
        for (int i = 0; i < panels.Count; i++)
        {
            int x0 = gap + (i % columns) * (width + gap), y0 = gap + (i / columns) * (height + gap);
            for (int y = 0; y < height; y++)
                Array.Copy(panels[i], y * width * 3, rgb, ((y0 + y) * totalWidth + x0) * 3, width * 3);
        }
        return (totalWidth, totalHeight, rgb);
    }

    /// <summary>Three planes of [0, 1] values starting at <paramref name="offset"/> (an image of a batch, say) as
    /// interleaved 8-bit RGB.</summary>
    public static byte[] Rgb(float[] planes, int offset, int pixels) => Interleave(pixels, (p, c) => ToByte(planes[offset + c * pixels + p]));

    private static byte[] Interleave(int pixels, Func<int, int, byte> value)
    {
        var rgb = new byte[3 * pixels];
        for (int p = 0; p < pixels; p++)
            for (int c = 0; c < 3; c++)
                rgb[3 * p + c] = value(p, c);
        return rgb;
    }

    private static bool IsZero(float[] planes, int pixels, int p) => planes[p] == 0 && planes[pixels + p] == 0 && planes[2 * pixels + p] == 0;

    private static byte ToByte(double value) => (byte)Math.Round(255 * Math.Clamp(value, 0, 1));

    private static byte Colormap((double, double, double)[] stops, double t, int channel)
    {
        double x = Math.Clamp(t, 0, 1) * (stops.Length - 1);
        int i = Math.Min((int)x, stops.Length - 2);
        double f = x - i;
        double Pick((double R, double G, double B) s) => channel == 0 ? s.R : channel == 1 ? s.G : s.B;
        return ToByte(Pick(stops[i]) + f * (Pick(stops[i + 1]) - Pick(stops[i])));
    }

    private static byte Diverging(float curvature, int channel)
    {
        double t = Math.Tanh(curvature / 5.0);
        // Red (1, 0, 0) for positive, blue (0, 0, 1) for negative, white at zero.
        double value = t >= 0 ? (channel == 0 ? 1 : 1 - t) : (channel == 2 ? 1 : 1 + t);
        return ToByte(value);
    }

    private static byte InstanceColor(int id, int channel)
    {
        uint h = (uint)id * 2654435761u;
        return (byte)(64 + ((h >> (8 * channel + 5)) & 0xBF));
    }
}
