using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;
using NativeMtl.Data;

namespace NativeMtl.Tests.Data;

public class PngTests
{
    /// <summary>The chunks of a PNG file, each checked against its CRC.</summary>
    private static List<(string Type, byte[] Data)> Chunks(byte[] png)
    {
        Assert.Equal(Png.Signature.ToArray(), png[..8]);
        var chunks = new List<(string, byte[])>();
        for (int at = 8; at < png.Length;)
        {
            int length = BinaryPrimitives.ReadInt32BigEndian(png.AsSpan(at));
            var typeAndData = png.AsSpan(at + 4, 4 + length);
            Assert.Equal(BinaryPrimitives.ReadUInt32BigEndian(png.AsSpan(at + 8 + length)), Crc32.Compute(typeAndData));
            chunks.Add((Encoding.ASCII.GetString(typeAndData[..4]), typeAndData[4..].ToArray()));
            at += 12 + length;
        }
        return chunks;
    }

    [Fact]
    public void Crc32GivesTheStandardCheckValue() => Assert.Equal(0xCBF43926u, Crc32.Compute("123456789"u8));

    [Fact]
    public void AnEncodedImageHasTheSignatureHeaderDataAndEndChunksWithValidCrcs()
    {
        var chunks = Chunks(Png.Encode(3, 2, new byte[18], PngColor.Rgb));
        Assert.Equal(["IHDR", "IDAT", "IEND"], chunks.Select(c => c.Type));
        Assert.Equal([0, 0, 0, 3, 0, 0, 0, 2, 8, 2, 0, 0, 0], chunks[0].Data);
        Assert.Empty(chunks[2].Data);
    }

    [Fact]
    public void TheDataChunkInflatesToUpFilteredRowsOfThePixels()
    {
        byte[] pixels = [10, 20, 30, 15, 20, 25];
        var idat = Chunks(Png.Encode(3, 2, pixels, PngColor.Gray))[1].Data;
        using var inflate = new ZLibStream(new MemoryStream(idat), CompressionMode.Decompress);
        using var rows = new MemoryStream();
        inflate.CopyTo(rows);
        // Filter type 2 (Up): each byte minus the one above it, modulo 256.
        Assert.Equal([2, 10, 20, 30, 2, 5, 0, unchecked((byte)-5)], rows.ToArray());
    }

    [Fact]
    public void PixelsThatDoNotFillTheImageAreRejected()
    {
        var e = Assert.Throws<ArgumentException>(() => Png.Encode(3, 2, new byte[5], PngColor.Rgb));
        Assert.Equal("Png: 5 bytes do not fill a 3×2 Rgb image", e.Message);
    }

    [Fact]
    public void SampleImagesWritesEveryPanelOfASceneAsAValidPng()
    {
        var folder = Path.Combine(Path.GetTempPath(), $"samples-{Guid.NewGuid():N}");
        try
        {
            var paths = SampleImages.Write(new SyntheticScenes(seed: 1, height: 24, width: 32).Render(0), folder, "s_");
            Assert.Equal(
                ["s_rgb", "s_labels", "s_depth", "s_normals", "s_curvature_k1", "s_curvature_k2", "s_instances", "s_object_coordinates", "s_overview"],
                paths.Select(Path.GetFileNameWithoutExtension));
            foreach (var path in paths)
            {
                var chunks = Chunks(File.ReadAllBytes(path));
                Assert.Equal(["IHDR", "IDAT", "IEND"], chunks.Select(c => c.Type));
            }
            var overview = Chunks(File.ReadAllBytes(paths[^1]))[0].Data;
            Assert.Equal((4 * 32 + 5 * 2, 2 * 24 + 3 * 2), (BinaryPrimitives.ReadInt32BigEndian(overview), BinaryPrimitives.ReadInt32BigEndian(overview.AsSpan(4))));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }
}
