using System.Text.RegularExpressions;

namespace NativeMtl.Data;

/// <summary>
/// A dataset in the layout MTAN, LibMTL and Auto-λ use for NYUv2 and CityScapes:
/// <c>{root}/{split}/{image,label,depth,normal}/{i}.npy</c> for i = 0..N−1. Per sample: image H×W×3 float in
/// [0, 1]; label H×W (or H×W×1) holding −1 (ignored) or a class in 0..C−1, stored as floats or integers;
/// depth H×W×1 (or H×W) with 0 where invalid; normal H×W×3 unit vectors, all zero where invalid. The size is
/// taken from image 0 (288×384 for NYUv2). Samples are read when loaded, converted to channel-first planes,
/// and optionally augmented with <see cref="RandomScaleCrop"/>. Every defect names the file.
/// </summary>
public sealed partial class MtanDataset : IDenseDataset
{
    private static readonly string[] Tasks = ["image", "label", "depth", "normal"];

    public MtanDataset(string root, string split, int classCount = 13, RandomScaleCrop? augmentation = null)
    {
        if (classCount <= 0) throw new ArgumentException($"MtanDataset: the class count must be positive, not {classCount}");
        Folder = Path.Combine(root, split);
        ClassCount = classCount;
        Augmentation = augmentation;
        foreach (var task in Tasks)
            if (!Directory.Exists(Path.Combine(Folder, task))) throw new DataFormatException(Path.Combine(Folder, task), "missing folder");

        var imageFolder = Path.Combine(Folder, "image");
        var numbers = Directory.EnumerateFiles(imageFolder, "*.npy")
            .Select(f => SampleName().Match(Path.GetFileName(f)))
            .Where(m => m.Success)
            .Select(m => long.Parse(m.Groups[1].Value))
            .Order()
            .ToArray();
        if (numbers.Length == 0) throw new DataFormatException(imageFolder, "holds no samples ({i}.npy)");
        for (long i = 0; i < numbers.Length; i++)
            if (numbers[i] != i) throw new DataFormatException(FilePath("image", i), $"missing (samples are numbered 0..{numbers.Length - 1} without gaps)");
        Count = numbers.Length;
        foreach (var task in Tasks.Skip(1))
            for (long i = 0; i < Count; i++)
                if (!File.Exists(FilePath(task, i))) throw new DataFormatException(FilePath(task, i), $"missing ({FilePath("image", i)} exists)");

        var header = Npy.ReadHeader(FilePath("image", 0));
        if (header.Shape is not [> 0, > 0, 3])
            throw new DataFormatException(FilePath("image", 0), $"image shape {Npy.FormatShape(header.Shape)} is not (H, W, 3)");
        Height = header.Shape[0];
        Width = header.Shape[1];
    }

    /// <summary>{root}/{split}.</summary>
    public string Folder { get; }
    public int Height { get; }
    public int Width { get; }
    public long Count { get; }
    public int ClassCount { get; }
    public DenseFields Fields => DenseFields.Mtan;
    public RandomScaleCrop? Augmentation { get; }

    public string FilePath(string task, long index) => Path.Combine(Folder, task, $"{index}.npy");

    public SampleInfo Load(long index, int epoch, SampleView target)
    {
        if (index < 0 || index >= Count) throw new ArgumentOutOfRangeException(nameof(index), $"{Folder}: sample {index} is not in 0..{Count - 1}");
        if (Augmentation is null)
        {
            Read(index, target);
        }
        else
        {
            var original = new DenseSample(Height, Width, DenseFields.Mtan);
            Read(index, original.View());
            Augmentation.Draw(Height, Width, index, epoch).Apply(original.View(), target);
        }
        return new SampleInfo(index, null, []);
    }

    /// <summary>Reads sample <paramref name="index"/> as training would, and checks what reading alone does not: every
    /// image, depth and normal value finite, images in [0, 1], depths not negative. The first defect is a
    /// <see cref="DataFormatException"/> naming the file and the position.</summary>
    public void Check(long index, DenseSample scratch)
    {
        Read(index, scratch.View());
        var view = scratch.View();
        int pixels = Height * Width;
        for (int i = 0; i < view.Image.Length; i++)
            if (!(view.Image[i] is >= 0 and <= 1))
                throw new DataFormatException(FilePath("image", index), $"value {Show(view.Image[i])} at row {i % pixels / Width}, column {i % Width}, channel {i / pixels} is not in [0, 1]");
        for (int p = 0; p < pixels; p++)
            if (!(view.Depth[p] >= 0) || float.IsInfinity(view.Depth[p]))
                throw new DataFormatException(FilePath("depth", index), $"depth {Show(view.Depth[p])} at row {p / Width}, column {p % Width} is not a distance (0 marks a missing one)");
        for (int i = 0; i < view.Normals.Length; i++)
            if (!float.IsFinite(view.Normals[i]))
                throw new DataFormatException(FilePath("normal", index), $"value {Show(view.Normals[i])} at row {i % pixels / Width}, column {i % Width}, channel {i / pixels} is not finite");
    }

    /// <summary>A value as NumPy prints it: nan, inf, -inf, or the shortest exact decimal.</summary>
    private static string Show(float value) => float.IsNaN(value) ? "nan" : float.IsInfinity(value) ? (value > 0 ? "inf" : "-inf")
        : value.ToString("R", System.Globalization.CultureInfo.InvariantCulture);

    private void Read(long index, SampleView target)
    {
        int pixels = Height * Width;
        var image = Load("image", index, 3, allowSqueezed: false);
        ChannelsFirst(image.ToSingle(), target.Image, pixels, 3);

        var labelFile = FilePath("label", index);
        var labels = Load("label", index, 1, allowSqueezed: true).ToInt32();
        for (int p = 0; p < pixels; p++)
        {
            int label = labels[p];
            if (label < -1 || label >= ClassCount)
                throw new DataFormatException(labelFile, $"label {label} at row {p / Width}, column {p % Width} is neither -1 nor a class in 0..{ClassCount - 1}");
            target.Labels[p] = label;
        }

        Load("depth", index, 1, allowSqueezed: true).ToSingle().CopyTo(target.Depth);
        ChannelsFirst(Load("normal", index, 3, allowSqueezed: false).ToSingle(), target.Normals, pixels, 3);
    }

    /// <summary>Reads {task}/{index}.npy and checks its shape is (H, W, channels), or (H, W) when allowed.</summary>
    private NpyArray Load(string task, long index, int channels, bool allowSqueezed)
    {
        var path = FilePath(task, index);
        var array = Npy.Read(path);
        bool full = array.Shape.Count == 3 && array.Shape[0] == Height && array.Shape[1] == Width && array.Shape[2] == channels;
        bool squeezed = allowSqueezed && array.Shape.Count == 2 && array.Shape[0] == Height && array.Shape[1] == Width;
        if (!full && !squeezed)
        {
            string expected = allowSqueezed ? $"({Height}, {Width}, {channels}) or ({Height}, {Width})" : $"({Height}, {Width}, {channels})";
            throw new DataFormatException(path, $"{task} shape {Npy.FormatShape(array.Shape)} does not match the dataset's {Height}×{Width} (expected {expected})");
        }
        return array;
    }

    private static void ChannelsFirst(float[] interleaved, Span<float> planes, int pixels, int channels)
    {
        for (int p = 0; p < pixels; p++)
            for (int c = 0; c < channels; c++)
                planes[c * pixels + p] = interleaved[p * channels + c];
    }

    [GeneratedRegex(@"^(0|[1-9][0-9]{0,17})\.npy$")]
    private static partial Regex SampleName();
}
