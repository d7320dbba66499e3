using System.Buffers.Binary;
using System.Globalization;
using System.Text;

namespace NativeMtl.Data;

/// <summary>A parsed .npy header.</summary>
public sealed record NpyHeader(int MajorVersion, NpyDType DType, bool FortranOrder, int[] Shape, int DataOffset)
{
    /// <summary>The number of elements; an <see cref="OverflowException"/> when it exceeds a long.</summary>
    public long Count => Shape.Aggregate(1L, (n, d) => checked(n * d));
}

/// <summary>
/// Reads and writes NumPy's .npy format (versions 1.0, 2.0 and 3.0). The reader is strict: the header must be
/// a dictionary with exactly the keys 'descr', 'fortran_order' and 'shape'; the dtype one of
/// <see cref="NpyDType"/> in little-endian order (big-endian, structured and other types are rejected by
/// name); the data exactly as long as the shape needs. Fortran-ordered arrays are reordered to C order. Every
/// defect is a <see cref="DataFormatException"/> naming the file.
/// </summary>
public static class Npy
{
    /// <summary>Headers longer than this are refused as absurd (NumPy itself refuses over 10 000 bytes by default).</summary>
    public const int MaxHeaderLength = 100_000;

    private static ReadOnlySpan<byte> Magic => [0x93, (byte)'N', (byte)'U', (byte)'M', (byte)'P', (byte)'Y'];

    public static NpyArray Read(string path) => Parse(File.ReadAllBytes(path), path);

    /// <summary>Reads only the header (the data is not checked).</summary>
    public static NpyHeader ReadHeader(string path)
    {
        using var stream = File.OpenRead(path);
        var preamble = new byte[12];
        int read = stream.ReadAtLeast(preamble, preamble.Length, throwOnEndOfStream: false);
        int length = HeaderLength(preamble.AsSpan(0, read), path, out int offset);
        var bytes = new byte[offset + length];
        preamble.AsSpan(0, Math.Min(read, bytes.Length)).CopyTo(bytes);
        if (bytes.Length > read) read += stream.ReadAtLeast(bytes.AsSpan(read), bytes.Length - read, throwOnEndOfStream: false);
        return ParseHeader(bytes.AsSpan(0, read), path);
    }

    public static NpyArray Parse(ReadOnlySpan<byte> file, string source)
    {
        var header = ParseHeader(file, source);
        long needed;
        try
        {
            needed = checked(header.Count * header.DType.SizeInBytes());
        }
        catch (OverflowException)
        {
            throw new DataFormatException(source, $"shape {FormatShape(header.Shape)} is too large");
        }
        long present = file.Length - header.DataOffset;
        if (present < needed)
            throw new DataFormatException(source, $"truncated data: shape {FormatShape(header.Shape)} of {header.DType.Descr()} needs {needed} bytes, found {present}");
        if (present > needed)
            throw new DataFormatException(source, $"{present - needed} bytes of trailing data after the array");
        var data = file.Slice(header.DataOffset, (int)needed).ToArray();
        if (header.FortranOrder) data = FortranToC(data, header.Shape, header.DType.SizeInBytes());
        return new NpyArray(header.DType, header.Shape, data, source);
    }

    public static void Write(string path, NpyArray array, int? version = null) => File.WriteAllBytes(path, Encode(array, version));

    public static void Write<T>(string path, T[] values, params int[] shape) where T : unmanaged =>
        Write(path, NpyArray.From(values, shape));

    /// <summary>The file's bytes. The version defaults to 1.0, or 2.0 when the header needs more than 64 KiB;
    /// the header is padded with spaces and a newline so that the data starts at a multiple of 64 bytes.</summary>
    public static byte[] Encode(NpyArray array, int? version = null)
    {
        string dict = $"{{'descr': '{array.DType.Descr()}', 'fortran_order': False, 'shape': {FormatShape(array.Shape)}, }}";
        int major = version ?? (dict.Length + 11 > ushort.MaxValue ? 2 : 1);
        if (major is < 1 or > 3) throw new ArgumentException($"Npy: format version {major}.0 does not exist (1.0, 2.0 or 3.0)");
        int prefix = 6 + 2 + (major == 1 ? 2 : 4);
        var text = (major == 3 ? Encoding.UTF8 : Encoding.Latin1).GetBytes(dict);
        int padded = (prefix + text.Length + 1 + 63) / 64 * 64 - prefix;
        if (major == 1 && padded > ushort.MaxValue) throw new ArgumentException($"Npy: a {padded}-byte header does not fit format version 1.0");
        var file = new byte[prefix + padded + array.Data.Length];
        Magic.CopyTo(file);
        file[6] = (byte)major;
        file[7] = 0;
        if (major == 1) BinaryPrimitives.WriteUInt16LittleEndian(file.AsSpan(8), (ushort)padded);
        else BinaryPrimitives.WriteUInt32LittleEndian(file.AsSpan(8), (uint)padded);
        text.CopyTo(file, prefix);
        file.AsSpan(prefix + text.Length, padded - text.Length - 1).Fill((byte)' ');
        file[prefix + padded - 1] = (byte)'\n';
        array.Data.CopyTo(file, prefix + padded);
        return file;
    }

    public static string FormatShape(IReadOnlyList<int> shape) =>
        shape.Count == 1 ? $"({shape[0]},)" : "(" + string.Join(", ", shape) + ")";

    private static int HeaderLength(ReadOnlySpan<byte> file, string source, out int dataOffset)
    {
        if (file.Length < Magic.Length || !file[..Magic.Length].SequenceEqual(Magic))
            throw new DataFormatException(source, "not a .npy file (it does not start with \\x93NUMPY)");
        if (file.Length < 10) throw new DataFormatException(source, "truncated: the file ends inside the format version and header length");
        int major = file[6], minor = file[7];
        if (major is < 1 or > 3 || minor != 0)
            throw new DataFormatException(source, $"unsupported format version {major}.{minor} (supported: 1.0, 2.0, 3.0)");
        if (major == 1)
        {
            dataOffset = 10;
            return BinaryPrimitives.ReadUInt16LittleEndian(file[8..]);
        }
        if (file.Length < 12) throw new DataFormatException(source, "truncated: the file ends inside the header length");
        uint length = BinaryPrimitives.ReadUInt32LittleEndian(file[8..]);
        if (length > MaxHeaderLength)
            throw new DataFormatException(source, $"header length {length} bytes is absurd (at most {MaxHeaderLength})");
        dataOffset = 12;
        return (int)length;
    }

    private static NpyHeader ParseHeader(ReadOnlySpan<byte> file, string source)
    {
        int length = HeaderLength(file, source, out int start);
        if (file.Length - start < length)
            throw new DataFormatException(source, $"truncated header: {length} bytes declared, {file.Length - start} present");
        int major = file[6];
        string text;
        try
        {
            text = major == 3
                ? new UTF8Encoding(false, throwOnInvalidBytes: true).GetString(file.Slice(start, length))
                : Encoding.Latin1.GetString(file.Slice(start, length));
        }
        catch (DecoderFallbackException)
        {
            throw new DataFormatException(source, "malformed header: not valid UTF-8");
        }
        var entries = new HeaderParser(text, source).Dictionary();
        foreach (var key in entries.Keys)
            if (key is not ("descr" or "fortran_order" or "shape"))
                throw new DataFormatException(source, $"header has unexpected key '{key}'");
        var descr = entries.GetValueOrDefault("descr") ?? throw new DataFormatException(source, "header lacks 'descr'");
        var fortran = entries.GetValueOrDefault("fortran_order") ?? throw new DataFormatException(source, "header lacks 'fortran_order'");
        var shape = entries.GetValueOrDefault("shape") ?? throw new DataFormatException(source, "header lacks 'shape'");
        if (descr is not string d)
            throw new DataFormatException(source, "'descr' must be a string such as '<f4' (structured dtypes are not supported)");
        if (fortran is not bool f) throw new DataFormatException(source, "'fortran_order' must be True or False");
        if (shape is not int[] s) throw new DataFormatException(source, "'shape' must be a tuple of non-negative integers");
        return new NpyHeader(major, ParseDescr(d, source), f, s, start + length);
    }

    private static NpyDType ParseDescr(string descr, string source)
    {
        if (descr.Length == 3 && descr[0] is '<' or '>' or '|' or '=')
        {
            NpyDType? dtype = descr[1..] switch
            {
                "b1" => NpyDType.Bool,
                "i1" => NpyDType.Int8,
                "u1" => NpyDType.UInt8,
                "i2" => NpyDType.Int16,
                "u2" => NpyDType.UInt16,
                "i4" => NpyDType.Int32,
                "i8" => NpyDType.Int64,
                "f4" => NpyDType.Float32,
                "f8" => NpyDType.Float64,
                _ => null,
            };
            if (dtype is { } t)
            {
                // A single byte has no byte order; NumPy writes '|' for it.
                if (t.SizeInBytes() == 1 || descr[0] == '<') return t;
                if (descr[0] == '>') throw new DataFormatException(source, $"dtype '{descr}' is big-endian; only little-endian data is supported");
            }
        }
        throw new DataFormatException(source, $"unsupported dtype '{descr}' (supported: {string.Join(", ", Enum.GetValues<NpyDType>().Select(t => t.Descr()))})");
    }

    private static byte[] FortranToC(byte[] data, int[] shape, int size)
    {
        var result = new byte[data.Length];
        int rank = shape.Length;
        var index = new int[rank];
        long count = data.Length / size;
        for (long c = 0; c < count; c++)
        {
            // index holds the C-order position c; its column-major offset is Σ index[k]·Π_{j<k} shape[j].
            long f = 0, stride = 1;
            for (int k = 0; k < rank; k++)
            {
                f += index[k] * stride;
                stride *= shape[k];
            }
            Array.Copy(data, f * size, result, c * size, size);
            for (int k = rank - 1; k >= 0 && ++index[k] == shape[k]; k--) index[k] = 0;
        }
        return result;
    }

    /// <summary>The subset of Python literal syntax a .npy header uses: a dict of string keys to strings,
    /// True/False and tuples of integers.</summary>
    private ref struct HeaderParser(string text, string source)
    {
        private int _at;

        public Dictionary<string, object> Dictionary()
        {
            var entries = new Dictionary<string, object>();
            SkipSpace();
            Expect('{');
            while (true)
            {
                SkipSpace();
                if (_at == text.Length) throw Malformed("the dictionary is not closed");
                if (Peek() == '}') break;
                string key = StringLiteral();
                SkipSpace();
                Expect(':');
                SkipSpace();
                object value = Peek() switch
                {
                    '\'' or '"' => StringLiteral(),
                    '(' => Tuple(),
                    '[' => throw Malformed("'descr' lists fields: structured dtypes are not supported"),
                    _ => Word(),
                };
                if (!entries.TryAdd(key, value)) throw new DataFormatException(source, $"header repeats key '{key}'");
                SkipSpace();
                if (Peek() == ',')
                {
                    _at++;
                    continue;
                }
                if (Peek() != '}') throw Malformed($"expected ',' or '}}' at offset {_at}");
            }
            _at++;
            SkipSpace();
            if (_at != text.Length) throw Malformed($"unexpected text after the dictionary at offset {_at}");
            return entries;
        }

        private readonly char Peek() => _at < text.Length ? text[_at] : '\0';

        private void SkipSpace()
        {
            while (_at < text.Length && text[_at] is ' ' or '\t' or '\n' or '\r') _at++;
        }

        private void Expect(char c)
        {
            if (Peek() != c) throw Malformed(_at < text.Length ? $"expected '{c}' at offset {_at}, found '{text[_at]}'" : $"expected '{c}' at the end");
            _at++;
        }

        private string StringLiteral()
        {
            char quote = Peek();
            if (quote is not ('\'' or '"')) throw Malformed($"expected a quoted key at offset {_at}");
            int end = text.IndexOf(quote, _at + 1);
            if (end < 0) throw Malformed("unterminated string");
            string value = text[(_at + 1)..end];
            if (value.Contains('\\')) throw Malformed("escape sequences in strings are not supported");
            _at = end + 1;
            return value;
        }

        private object Word()
        {
            int start = _at;
            while (_at < text.Length && char.IsAsciiLetterOrDigit(text[_at])) _at++;
            return text[start.._at] switch
            {
                "True" => true,
                "False" => false,
                "" => throw Malformed(_at < text.Length ? $"unexpected '{text[_at]}' at offset {_at}" : "the dictionary is not closed"),
                var w => throw Malformed($"unexpected value '{w}'"),
            };
        }

        private int[] Tuple()
        {
            Expect('(');
            var dims = new List<int>();
            bool trailingComma = false;
            while (true)
            {
                SkipSpace();
                if (Peek() == ')') break;
                int start = _at;
                while (_at < text.Length && char.IsAsciiDigit(text[_at])) _at++;
                if (_at == start)
                    throw Peek() == '-' ? new DataFormatException(source, "'shape' has a negative dimension") : Malformed($"expected a dimension at offset {_at}");
                if (!int.TryParse(text.AsSpan(start, _at - start), NumberStyles.None, CultureInfo.InvariantCulture, out int dim))
                    throw new DataFormatException(source, $"dimension {text[start.._at]} is too large");
                dims.Add(dim);
                SkipSpace();
                trailingComma = Peek() == ',';
                if (trailingComma) _at++;
                else if (Peek() != ')') throw Malformed($"expected ',' or ')' in 'shape' at offset {_at}");
            }
            _at++;
            if (dims.Count == 1 && !trailingComma) throw Malformed("a one-dimensional shape is written (n,), not (n)");
            return [.. dims];
        }

        private readonly DataFormatException Malformed(string detail) => new(source, $"malformed header: {detail}");
    }
}
