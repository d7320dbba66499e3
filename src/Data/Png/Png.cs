using System.Buffers.Binary;
using System.IO.Compression;
using System.Text;

namespace NativeMtl.Data;

public enum PngColor
{
    /// <summary>One byte per pixel.</summary>
    Gray = 0,

    /// <summary>Three bytes per pixel: R, G, B.</summary>
    Rgb = 2,
}

/// <summary>A minimal PNG encoder: 8-bit greyscale or RGB, one IDAT chunk compressed with zlib, no
/// interlacing. Each row uses the Up filter, which suits smooth maps such as depth.</summary>
public static class Png
{
    public static ReadOnlySpan<byte> Signature => [0x89, (byte)'P', (byte)'N', (byte)'G', 0x0D, 0x0A, 0x1A, 0x0A];

    /// <summary>Encodes row-major pixels (<paramref name="width"/>·channels bytes per row).</summary>
    public static byte[] Encode(int width, int height, ReadOnlySpan<byte> pixels, PngColor color)
    {
        int channels = color == PngColor.Rgb ? 3 : 1;
        if (width <= 0 || height <= 0) throw new ArgumentException($"Png: the image size must be positive, not {width}×{height}");
        if (pixels.Length != (long)width * height * channels)
            throw new ArgumentException($"Png: {pixels.Length} bytes do not fill a {width}×{height} {color} image");

        using var output = new MemoryStream();
        output.Write(Signature);

        Span<byte> header = stackalloc byte[13];
        BinaryPrimitives.WriteInt32BigEndian(header, width);
        BinaryPrimitives.WriteInt32BigEndian(header[4..], height);
        header[8] = 8;
        header[9] = (byte)color;
        header[10] = header[11] = header[12] = 0;
        WriteChunk(output, "IHDR", header);

        int stride = width * channels;
        using (var compressed = new MemoryStream())
        {
            using (var zlib = new ZLibStream(compressed, CompressionLevel.Optimal, leaveOpen: true))
            {
                var row = new byte[1 + stride];
                for (int y = 0; y < height; y++)
                {
                    var current = pixels.Slice(y * stride, stride);
                    row[0] = 2;
                    for (int i = 0; i < stride; i++)
                        row[1 + i] = (byte)(current[i] - (y > 0 ? pixels[(y - 1) * stride + i] : 0));
                    zlib.Write(row);
                }
            }
            WriteChunk(output, "IDAT", compressed.ToArray());
        }
        WriteChunk(output, "IEND", []);
        return output.ToArray();
    }

    public static void Write(string path, int width, int height, ReadOnlySpan<byte> pixels, PngColor color) =>
        File.WriteAllBytes(path, Encode(width, height, pixels, color));

    /// <summary>Length (big-endian), type, data, then the CRC of type and data.</summary>
    private static void WriteChunk(Stream output, string type, ReadOnlySpan<byte> data)
    {
        Span<byte> word = stackalloc byte[4];
        BinaryPrimitives.WriteInt32BigEndian(word, data.Length);
        output.Write(word);
        var typeBytes = Encoding.ASCII.GetBytes(type);
        output.Write(typeBytes);
        output.Write(data);
        BinaryPrimitives.WriteUInt32BigEndian(word, Crc32.Append(Crc32.Compute(typeBytes), data));
        output.Write(word);
    }
}
