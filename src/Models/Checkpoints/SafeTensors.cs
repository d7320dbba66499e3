using System.Buffers;
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Encodings.Web;
using System.Text.Json;

namespace NativeMtl.Models;

/// <summary>
/// Writes safetensors files, the tensor format PyTorch users share weights in
/// (https://github.com/huggingface/safetensors): an unsigned 64-bit little-endian header length N, N bytes of
/// UTF-8 JSON mapping each tensor name to its dtype, shape and byte range [begin, end) in the data section that
/// follows (little-endian, row-major), and an optional "__metadata__" object of strings. Read them with
/// <see cref="SafeTensorsFile"/>.
/// </summary>
public static class SafeTensors
{
    /// <summary>The largest header a reader accepts: the reference implementation's limit.</summary>
    public const long MaxHeaderLength = 100_000_000;

    internal const string MetadataKey = "__metadata__";

    /// <summary>
    /// Writes the tensors (Float32, Float64 or Int32, as F32, F64, I32) and the metadata to <paramref name="path"/>
    /// atomically (<see cref="AtomicFile"/>). Tensors are laid out largest element first, in the given order
    /// within one element size, and the header is padded with spaces to a multiple of 8 bytes, as the reference
    /// writer does, so every tensor starts aligned to its element size. Metadata keys are written in ordinal
    /// order so that equal content gives equal bytes. Every name and tensor is checked before the file is opened.
    /// </summary>
    public static void Write(string path, IEnumerable<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string>? metadata = null)
    {
        var list = tensors.ToList();
        var names = new HashSet<string>(StringComparer.Ordinal);
        foreach (var (name, tensor) in list)
        {
            if (name == MetadataKey) throw new CheckpointException(path, $"'{MetadataKey}' is reserved for the metadata and cannot name a tensor");
            if (!names.Add(name)) throw new CheckpointException(path, $"two tensors are named '{name}'");
            if (tensor.IsDisposed) throw new CheckpointException(path, $"tensor '{name}' was disposed before it was saved");
        }
        var ordered = list.OrderByDescending(t => t.Tensor.DType.SizeInBytes()).ToList();
        var header = Header(path, ordered, metadata ?? new Dictionary<string, string>());
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(folder)) throw new CheckpointException(path, $"folder {folder} does not exist");
        try
        {
            AtomicFile.Write(path, stream =>
            {
                Span<byte> length = stackalloc byte[8];
                BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
                stream.Write(length);
                stream.Write(header);
                foreach (var (_, tensor) in ordered) WriteData(stream, tensor);
            });
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException(path, $"could not be written: {e.Message}", e);
        }
    }

    /// <summary>The safetensors name of an engine dtype.</summary>
    public static string DTypeName(DType dtype) => dtype switch
    {
        DType.Float32 => "F32",
        DType.Float64 => "F64",
        DType.Int32 => "I32",
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "no safetensors dtype for it"),
    };

    private static byte[] Header(string path, List<(string Name, Tensor Tensor)> tensors, IReadOnlyDictionary<string, string> metadata)
    {
        var buffer = new ArrayBufferWriter<byte>();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping }))
        {
            json.WriteStartObject();
            if (metadata.Count > 0)
            {
                json.WriteStartObject(MetadataKey);
                foreach (var key in metadata.Keys.Order(StringComparer.Ordinal)) json.WriteString(key, metadata[key]);
                json.WriteEndObject();
            }
            long offset = 0;
            foreach (var (name, tensor) in tensors)
            {
                long bytes = tensor.Count * tensor.DType.SizeInBytes();
                json.WriteStartObject(name);
                json.WriteString("dtype", DTypeName(tensor.DType));
                json.WriteStartArray("shape");
                foreach (var d in tensor.Shape.AsSpan()) json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(offset);
                json.WriteNumberValue(offset + bytes);
                json.WriteEndArray();
                json.WriteEndObject();
                offset += bytes;
            }
            json.WriteEndObject();
        }
        int padded = (buffer.WrittenCount + 7) / 8 * 8;
        if (padded > MaxHeaderLength) throw new CheckpointException(path, $"the header would take {padded} bytes, over the {MaxHeaderLength}-byte limit of readers");
        var header = new byte[padded];
        buffer.WrittenSpan.CopyTo(header);
        header.AsSpan(buffer.WrittenCount).Fill((byte)' ');
        return header;
    }

    /// <summary>The tensor's elements in row-major order; the host's byte order is little-endian on every
    /// platform .NET runs this engine on, which is the order the format prescribes.</summary>
    private static void WriteData(Stream stream, Tensor tensor)
    {
        switch (tensor.DType)
        {
            case DType.Float32: stream.Write(MemoryMarshal.AsBytes(tensor.ToArray<float>().AsSpan())); break;
            case DType.Float64: stream.Write(MemoryMarshal.AsBytes(tensor.ToArray<double>().AsSpan())); break;
            default: stream.Write(MemoryMarshal.AsBytes(tensor.ToArray<int>().AsSpan())); break;
        }
    }
}
