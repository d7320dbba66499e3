using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text.Json;
using Microsoft.Win32.SafeHandles;

namespace NativeMtl.Models;

/// <summary>One tensor of a safetensors header: its dtype as the file names it ("F32"), shape and byte range in
/// the data section.</summary>
public sealed record SafeTensorsEntry(string Name, string StoredAs, Shape Shape, long Begin, long End)
{
    public long ByteLength => End - Begin;

    /// <summary>The engine dtype the tensor is read as (I64 as Int32), or null for a dtype the engine does not read.</summary>
    public DType? ReadsAs => StoredAs switch
    {
        "F32" => DType.Float32,
        "F64" => DType.Float64,
        "I32" or "I64" => DType.Int32,
        _ => null,
    };
}

/// <summary>
/// An open safetensors file whose header has been checked in full: the header length is at least 2 ("{}"),
/// at most <see cref="SafeTensors.MaxHeaderLength"/> and within the file; the header is a JSON object that
/// starts with '{'; each tensor appears once, with a known dtype, a shape of non-negative integers and
/// data_offsets [begin, end] whose length is exactly the shape's element count times the dtype's size;
/// "__metadata__" maps strings to strings; and the ranges lie in the data section, do not overlap and cover it
/// without holes, as the format requires. Any defect is a <see cref="CheckpointException"/> naming the file and
/// the tensor. Fields of a tensor entry beyond those three are ignored, as the reference reader ignores them.
/// Tensors are read on demand; the file stays open until disposed.
/// </summary>
public sealed class SafeTensorsFile : IDisposable
{
    /// <summary>Element sizes of every dtype the format defines, including those the engine does not read.</summary>
    private static readonly Dictionary<string, int> ElementSizes = new(StringComparer.Ordinal)
    {
        ["BOOL"] = 1, ["U8"] = 1, ["I8"] = 1, ["F8_E5M2"] = 1, ["F8_E4M3"] = 1,
        ["I16"] = 2, ["U16"] = 2, ["F16"] = 2, ["BF16"] = 2,
        ["I32"] = 4, ["U32"] = 4, ["F32"] = 4,
        ["F64"] = 8, ["I64"] = 8, ["U64"] = 8,
    };

    private readonly SafeFileHandle _handle;
    private readonly Dictionary<string, SafeTensorsEntry> _byName;

    private SafeTensorsFile(string path, SafeFileHandle handle, long dataOffset, List<SafeTensorsEntry> entries, Dictionary<string, string> metadata)
    {
        Path = path;
        _handle = handle;
        DataOffset = dataOffset;
        Entries = entries;
        Metadata = metadata;
        _byName = entries.ToDictionary(e => e.Name, StringComparer.Ordinal);
    }

    public string Path { get; }

    /// <summary>Where the data section starts: 8 + the header length.</summary>
    public long DataOffset { get; }

    /// <summary>The tensors in header order.</summary>
    public IReadOnlyList<SafeTensorsEntry> Entries { get; }

    public IReadOnlyDictionary<string, string> Metadata { get; }

    public static SafeTensorsFile Open(string path)
    {
        if (!File.Exists(path)) throw new CheckpointException(path, "the file does not exist");
        var handle = File.OpenHandle(path, FileMode.Open, FileAccess.Read, FileShare.Read);
        try
        {
            long length = RandomAccess.GetLength(handle);
            if (length < 8) throw new CheckpointException(path, $"the file is {length} bytes long, too short for the 8-byte header length");
            Span<byte> prefix = stackalloc byte[8];
            ReadExactly(path, handle, prefix, 0);
            ulong headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength < 2) throw new CheckpointException(path, $"header length {headerLength} is below 2, the size of an empty header '{{}}'");
            if (headerLength > SafeTensors.MaxHeaderLength)
                throw new CheckpointException(path, $"header length {headerLength} exceeds the limit of {SafeTensors.MaxHeaderLength} bytes");
            if (headerLength > (ulong)(length - 8))
                throw new CheckpointException(path, $"header length {headerLength} runs past the end of the {length}-byte file");
            var header = new byte[headerLength];
            ReadExactly(path, handle, header, 8);
            long dataOffset = 8 + (long)headerLength;
            var (entries, metadata) = ParseHeader(path, header, length - dataOffset);
            return new SafeTensorsFile(path, handle, dataOffset, entries, metadata);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    public bool Contains(string name) => _byName.ContainsKey(name);

    public SafeTensorsEntry Entry(string name) =>
        _byName.TryGetValue(name, out var entry) ? entry : throw new CheckpointException(Path, $"there is no tensor '{name}'");

    /// <summary>
    /// Reads a tensor into a new tensor on <paramref name="device"/> (the CPU by default). I64 tensors (PyTorch's
    /// integer default, e.g. num_batches_tracked) are read as Int32 when every value fits, else refused; other
    /// dtypes than F32, F64, I32 and I64 are refused.
    /// </summary>
    public Tensor ReadTensor(string name, Device? device = null)
    {
        var entry = Entry(name);
        long offset = DataOffset + entry.Begin;
        switch (entry.StoredAs)
        {
            case "F32": return Tensors.FromArray(Read<float>(entry, offset), entry.Shape, device);
            case "F64": return Tensors.FromArray(Read<double>(entry, offset), entry.Shape, device);
            case "I32": return Tensors.FromArray(Read<int>(entry, offset), entry.Shape, device);
            case "I64":
                var wide = Read<long>(entry, offset);
                var narrow = new int[wide.Length];
                for (int i = 0; i < wide.Length; i++)
                {
                    if (wide[i] is < int.MinValue or > int.MaxValue)
                        throw new CheckpointException(Path, $"tensor '{name}' holds the I64 value {wide[i]}, outside the Int32 range I64 tensors are read into");
                    narrow[i] = (int)wide[i];
                }
                return Tensors.FromArray(narrow, entry.Shape, device);
            default:
                throw new CheckpointException(Path, $"tensor '{name}' has dtype {entry.StoredAs}, which the engine does not read (it reads F32, F64, I32 and I64)");
        }
    }

    public void Dispose() => _handle.Dispose();

    private T[] Read<T>(SafeTensorsEntry entry, long offset) where T : unmanaged
    {
        var values = new T[entry.Shape.Count];
        ReadExactly(Path, _handle, MemoryMarshal.AsBytes(values.AsSpan()), offset);
        return values;
    }

    private static void ReadExactly(string path, SafeFileHandle handle, Span<byte> destination, long offset)
    {
        while (destination.Length > 0)
        {
            int read = RandomAccess.Read(handle, destination, offset);
            if (read == 0) throw new CheckpointException(path, $"the file ended at byte {offset} while reading it");
            destination = destination[read..];
            offset += read;
        }
    }

    private static (List<SafeTensorsEntry>, Dictionary<string, string>) ParseHeader(string path, byte[] header, long dataLength)
    {
        if (header[0] != (byte)'{') throw new CheckpointException(path, "the header does not start with '{'");
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(header);
        }
        catch (JsonException e)
        {
            throw new CheckpointException(path, $"the header is not valid JSON (line {e.LineNumber + 1}, byte {e.BytePositionInLine + 1})");
        }
        using (document)
        {
            var entries = new List<SafeTensorsEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name)) throw new CheckpointException(path, $"'{property.Name}' appears twice in the header");
                if (property.Name == SafeTensors.MetadataKey) ReadMetadata(path, property.Value, metadata);
                else entries.Add(ReadEntry(path, property.Name, property.Value, dataLength));
            }
            CheckCoverage(path, entries, dataLength);
            return (entries, metadata);
        }
    }

    private static void ReadMetadata(string path, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object) throw new CheckpointException(path, $"'{SafeTensors.MetadataKey}' is not a JSON object of strings");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw new CheckpointException(path, $"metadata '{item.Name}' is {item.Value.GetRawText()}, not a string");
            if (!metadata.TryAdd(item.Name, item.Value.GetString()!)) throw new CheckpointException(path, $"metadata '{item.Name}' appears twice");
        }
    }

    private static SafeTensorsEntry ReadEntry(string path, string name, JsonElement value, long dataLength)
    {
        CheckpointException Fault(string detail) => new(path, $"tensor '{name}' {detail}");

        if (value.ValueKind != JsonValueKind.Object) throw Fault("is not a JSON object");
        foreach (var field in new[] { "dtype", "shape", "data_offsets" })
            if (!value.TryGetProperty(field, out _)) throw Fault($"has no '{field}'");

        var dtypeValue = value.GetProperty("dtype");
        string? dtype = dtypeValue.ValueKind == JsonValueKind.String ? dtypeValue.GetString() : null;
        if (dtype is null || !ElementSizes.TryGetValue(dtype, out int elementSize)) throw Fault($"has unknown dtype {dtypeValue.GetRawText()}");

        var shapeValue = value.GetProperty("shape");
        var dims = new List<int>();
        if (shapeValue.ValueKind == JsonValueKind.Array)
            foreach (var d in shapeValue.EnumerateArray())
            {
                if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt32(out int size) || size < 0) { dims = null; break; }
                dims.Add(size);
            }
        if (dims is null || shapeValue.ValueKind != JsonValueKind.Array)
            throw Fault($"has shape {shapeValue.GetRawText()}, not a list of non-negative integers");
        var shape = new Shape(dims.ToArray());

        var offsetsValue = value.GetProperty("data_offsets");
        long begin = -1, end = -1;
        bool offsetsValid = offsetsValue.ValueKind == JsonValueKind.Array && offsetsValue.GetArrayLength() == 2
            && offsetsValue[0].ValueKind == JsonValueKind.Number && offsetsValue[0].TryGetInt64(out begin)
            && offsetsValue[1].ValueKind == JsonValueKind.Number && offsetsValue[1].TryGetInt64(out end)
            && begin >= 0 && begin <= end;
        if (!offsetsValid) throw Fault($"has data_offsets {offsetsValue.GetRawText()}, not [begin, end] with 0 ≤ begin ≤ end");

        long needed;
        try
        {
            needed = checked(shape.Count * elementSize);
        }
        catch (OverflowException)
        {
            needed = long.MaxValue;
        }
        if (needed != end - begin)
            throw Fault($"of shape {shape} and dtype {dtype} needs {needed} bytes, but data_offsets [{begin}, {end}] hold {end - begin}");
        if (end > dataLength) throw Fault($"has data_offsets [{begin}, {end}] beyond the {dataLength}-byte data section");
        return new SafeTensorsEntry(name, dtype, shape, begin, end);
    }

    /// <summary>The non-empty ranges, in order, must tile the data section exactly: no overlap, no hole.</summary>
    private static void CheckCoverage(string path, List<SafeTensorsEntry> entries, long dataLength)
    {
        long covered = 0;
        SafeTensorsEntry? previous = null;
        foreach (var entry in entries.Where(e => e.End > e.Begin).OrderBy(e => e.Begin).ThenBy(e => e.End))
        {
            if (entry.Begin < covered)
                throw new CheckpointException(path, $"tensors '{previous!.Name}' and '{entry.Name}' overlap: data_offsets [{previous.Begin}, {previous.End}] and [{entry.Begin}, {entry.End}]");
            if (entry.Begin > covered) throw new CheckpointException(path, $"bytes [{covered}, {entry.Begin}) of the data section belong to no tensor");
            covered = entry.End;
            previous = entry;
        }
        if (covered < dataLength) throw new CheckpointException(path, $"bytes [{covered}, {dataLength}) of the data section belong to no tensor");
    }
}
