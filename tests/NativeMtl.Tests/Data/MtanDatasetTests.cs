using NativeMtl.Data;

namespace NativeMtl.Tests.Data;

public sealed class MtanDatasetTests : IDisposable
{
    private const int H = 4, W = 5, Pixels = H * W;
    private readonly string _root = Path.Combine(Path.GetTempPath(), $"mtan-{Guid.NewGuid():N}");

    public MtanDatasetTests()
    {
        for (int i = 0; i < 3; i++) WriteSample("train", i);
        WriteSample("val", 0);
    }

    public void Dispose() => Directory.Delete(_root, recursive: true);

    /// <summary>Sample i: image channel c at pixel p is (p + c + i)/100; labels cycle −1..12 as float32 (as in
    /// MTAN's NYUv2 files); depth is p + 1 with pixel 0 invalid (0), stored H×W×1; the normal is +z except
    /// at pixel 1 (+x) and pixel 2 (invalid, all zero).</summary>
    private void WriteSample(string split, int i)
    {
        foreach (var task in new[] { "image", "label", "depth", "normal" }) Directory.CreateDirectory(Path.Combine(_root, split, task));
        var image = new float[Pixels * 3];
        var normal = new float[Pixels * 3];
        for (int p = 0; p < Pixels; p++)
        {
            for (int c = 0; c < 3; c++) image[p * 3 + c] = (p + c + i) / 100f;
            normal[p * 3 + 2] = 1;
        }
        (normal[1 * 3], normal[1 * 3 + 2], normal[2 * 3 + 2]) = (1, 0, 0);
        Npy.Write(Path.Combine(_root, split, "image", $"{i}.npy"), image, H, W, 3);
        Npy.Write(Path.Combine(_root, split, "label", $"{i}.npy"), Enumerable.Range(0, Pixels).Select(p => (float)(p % 14 - 1)).ToArray(), H, W);
        Npy.Write(Path.Combine(_root, split, "depth", $"{i}.npy"), Enumerable.Range(0, Pixels).Select(p => p == 0 ? 0f : p + 1f).ToArray(), H, W, 1);
        Npy.Write(Path.Combine(_root, split, "normal", $"{i}.npy"), normal, H, W, 3);
    }

    private string PathOf(string task, int i, string split = "train") => Path.Combine(_root, split, task, $"{i}.npy");

    [Fact]
    public void TheDatasetTakesItsSizeFromImageZeroAndCountsTheSamples()
    {
        var train = new MtanDataset(_root, "train");
        Assert.Equal((H, W, 3L, 13, DenseFields.Mtan), (train.Height, train.Width, train.Count, train.ClassCount, train.Fields));
        Assert.Equal(1, new MtanDataset(_root, "val").Count);
    }

    [Fact]
    public void ASampleIsConvertedToChannelFirstPlanesWithIntegerLabels()
    {
        var s = DenseSample.Load(new MtanDataset(_root, "train"), 2);
        // Every element, from the rules WriteSample stored them by (channel c of pixel p at c·Pixels + p).
        var pixels = Enumerable.Range(0, Pixels).ToArray();
        Assert.Equal(Enumerable.Range(0, 3).SelectMany(c => pixels.Select(p => (p + c + 2) / 100f)), s.Image);
        Assert.Equal(pixels.Select(p => p % 14 - 1), s.Labels);
        Assert.Equal(pixels.Select(p => p == 0 ? 0f : p + 1f), s.Depth);
        float[] NormalPlane(int c) => pixels.Select(p => p == 1 ? (c == 0 ? 1f : 0f) : p == 2 ? 0f : (c == 2 ? 1f : 0f)).ToArray();
        Assert.Equal(NormalPlane(0).Concat(NormalPlane(1)).Concat(NormalPlane(2)), s.Normals);
        Assert.Equal(2, s.Info.Index);
    }

    [Fact]
    public void DepthStoredWithoutAChannelAxisAndIntegerLabelsAreAccepted()
    {
        Npy.Write(PathOf("depth", 1), Enumerable.Repeat(2f, Pixels).ToArray(), H, W);
        Npy.Write(PathOf("label", 1), Enumerable.Repeat(3L, Pixels).ToArray(), H, W);
        var s = DenseSample.Load(new MtanDataset(_root, "train"), 1);
        Assert.All(s.Depth, d => Assert.Equal(2f, d));
        Assert.All(s.Labels, l => Assert.Equal(3, l));
    }

    [Fact]
    public void BatchesOfAnMtanDatasetHaveNoSyntheticFields()
    {
        using var loader = new BatchLoader(new MtanDataset(_root, "train"), new BatchLoaderOptions { BatchSize = 3 });
        using var batch = loader.Next()!;
        Assert.Equal(new Shape(3, 3, H, W), batch.Image.Shape);
        Assert.Equal(new Shape(3, H, W), batch.Labels.Shape);
        Assert.Equal(new Shape(3, 1, H, W), batch.Depth.Shape);
        Assert.Null(batch.Curvature);
        Assert.Null(batch.Instances);
        Assert.Null(batch.ObjectCoordinates);
    }

    [Fact]
    public void AMissingFileIsNamedWhenTheDatasetOpens()
    {
        File.Delete(PathOf("depth", 1));
        var e = Assert.Throws<DataFormatException>(() => new MtanDataset(_root, "train"));
        Assert.Equal($"{PathOf("depth", 1)}: missing ({PathOf("image", 1)} exists)", e.Message);
    }

    [Fact]
    public void AGapInTheNumberingIsNamed()
    {
        File.Move(PathOf("image", 1), PathOf("image", 7));
        var e = Assert.Throws<DataFormatException>(() => new MtanDataset(_root, "train"));
        Assert.Equal($"{PathOf("image", 1)}: missing (samples are numbered 0..2 without gaps)", e.Message);
    }

    [Fact]
    public void AMissingTaskFolderIsNamed()
    {
        Directory.Delete(Path.Combine(_root, "val", "normal"), recursive: true);
        var e = Assert.Throws<DataFormatException>(() => new MtanDataset(_root, "val"));
        Assert.Equal($"{Path.Combine(_root, "val", "normal")}: missing folder", e.Message);
    }

    [Fact]
    public void AFileOfTheWrongShapeIsNamedWithItsShape()
    {
        Npy.Write(PathOf("normal", 2), new float[H * (W - 1) * 3], H, W - 1, 3);
        var e = Assert.Throws<DataFormatException>(() => DenseSample.Load(new MtanDataset(_root, "train"), 2));
        Assert.Equal($"{PathOf("normal", 2)}: normal shape (4, 4, 3) does not match the dataset's 4×5 (expected (4, 5, 3))", e.Message);
    }

    [Fact]
    public void ALabelOutsideTheClassesIsNamedWithItsPixel()
    {
        var labels = new float[Pixels];
        labels[7] = 13;
        Npy.Write(PathOf("label", 0), labels, H, W);
        var e = Assert.Throws<DataFormatException>(() => DenseSample.Load(new MtanDataset(_root, "train"), 0));
        Assert.Equal($"{PathOf("label", 0)}: label 13 at row 1, column 2 is neither -1 nor a class in 0..12", e.Message);
    }

    [Fact]
    public void AugmentedLoadsDependOnTheSeedIndexAndEpochOnly()
    {
        var augmented = new MtanDataset(_root, "train", augmentation: new RandomScaleCrop(seed: 5));
        var draws = Enumerable.Range(0, 20).Select(epoch => DenseSample.Load(augmented, 1, epoch)).ToList();
        Assert.Equal(draws[3].Depth, DenseSample.Load(new MtanDataset(_root, "train", augmentation: new RandomScaleCrop(seed: 5)), 1, 3).Depth);
        Assert.True(draws.Select(d => string.Join(",", d.Depth)).Distinct().Count() > 1, "every epoch drew the same augmentation");
    }
}
