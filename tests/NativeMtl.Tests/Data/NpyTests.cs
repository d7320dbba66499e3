using System.Text;
using NativeMtl.Data;

namespace NativeMtl.Tests.Data;

public class NpyTests
{
    /// <summary>The bytes NumPy's np.save writes for np.arange(6, dtype='&lt;f4').reshape(2, 3).</summary>
    private static byte[] NumPyArange6() =>
    [
        0x93, .. "NUMPY"u8, 1, 0, 118, 0,
        .. Encoding.ASCII.GetBytes("{'descr': '<f4', 'fortran_order': False, 'shape': (2, 3), }".PadRight(117) + "\n"),
        .. new float[] { 0, 1, 2, 3, 4, 5 }.SelectMany(v => BitConverter.GetBytes(v)),
    ];

    /// <summary>A .npy file with the given header text (padded as NumPy pads it) and data.</summary>
    private static byte[] File(string header, byte[] data, int version = 1)
    {
        int prefix = version == 1 ? 10 : 12;
        int padded = (prefix + header.Length + 1 + 63) / 64 * 64 - prefix;
        var text = Encoding.ASCII.GetBytes(header.PadRight(padded - 1) + "\n");
        var length = version == 1 ? BitConverter.GetBytes((ushort)padded) : BitConverter.GetBytes((uint)padded);
        return [0x93, .. "NUMPY"u8, (byte)version, 0, .. length, .. text, .. data];
    }

    private static string ParseError(byte[] bytes) => Assert.Throws<DataFormatException>(() => Npy.Parse(bytes, "x.npy")).Message;

    [Fact]
    public void TheEncoderWritesWhatNumPyWrites()
    {
        Assert.Equal(NumPyArange6(), Npy.Encode(NpyArray.From(new float[] { 0, 1, 2, 3, 4, 5 }, 2, 3)));
    }

    [Fact]
    public void TheReaderReadsWhatNumPyWrites()
    {
        var array = Npy.Parse(NumPyArange6(), "arange.npy");
        Assert.Equal(NpyDType.Float32, array.DType);
        Assert.Equal([2, 3], array.Shape);
        Assert.Equal([0f, 1, 2, 3, 4, 5], array.As<float>());
    }

    [Fact]
    public void EverySupportedDTypeRoundTrips()
    {
        void RoundTrip<T>(T[] values, string descr) where T : unmanaged
        {
            var bytes = Npy.Encode(NpyArray.From(values, 2, values.Length / 2));
            Assert.Contains($"'descr': '{descr}'", Encoding.ASCII.GetString(bytes));
            var back = Npy.Parse(bytes, "x.npy");
            Assert.Equal(new[] { 2, values.Length / 2 }, back.Shape);
            Assert.Equal(values, back.As<T>());
        }
        RoundTrip(new[] { true, false, false, true }, "|b1");
        RoundTrip(new sbyte[] { -128, 0, 5, 127 }, "|i1");
        RoundTrip(new byte[] { 0, 1, 200, 255 }, "|u1");
        RoundTrip(new short[] { short.MinValue, -1, 1, short.MaxValue }, "<i2");
        RoundTrip(new ushort[] { 0, 1, 1000, ushort.MaxValue }, "<u2");
        RoundTrip(new[] { int.MinValue, -1, 0, int.MaxValue }, "<i4");
        RoundTrip(new[] { long.MinValue, -1L, 0L, long.MaxValue }, "<i8");
        RoundTrip(new[] { -1.5f, 0f, float.Epsilon, float.MaxValue }, "<f4");
        RoundTrip(new[] { -1.5, 0.0, double.Epsilon, Math.PI }, "<f8");
    }

    [Theory]
    [InlineData(1)]
    [InlineData(2)]
    [InlineData(3)]
    public void EachFormatVersionRoundTrips(int version)
    {
        var bytes = Npy.Encode(NpyArray.From(new[] { 1, 2, 3 }, 3), version);
        Assert.Equal(version, bytes[6]);
        Assert.Equal(0, (bytes.Length - 3 * 4) % 64);
        Assert.Equal([1, 2, 3], Npy.Parse(bytes, "x.npy").As<int>());
    }

    [Fact]
    public void ScalarsAndEmptyArraysRoundTrip()
    {
        var scalar = Npy.Parse(Npy.Encode(NpyArray.From(new[] { 2.5 })), "x.npy");
        Assert.Equal((0, 1L), (scalar.Shape.Count, scalar.Count));
        var empty = Npy.Parse(Npy.Encode(NpyArray.From(Array.Empty<float>(), 0, 3)), "x.npy");
        Assert.Equal(new[] { 0, 3 }, empty.Shape);
    }

    [Fact]
    public void FortranOrderedArraysAreReorderedToRowMajor()
    {
        // Column-major storage of [[0, 1, 2], [3, 4, 5]] is 0, 3, 1, 4, 2, 5.
        var data = new[] { 0, 3, 1, 4, 2, 5 }.SelectMany(v => BitConverter.GetBytes(v)).ToArray();
        var array = Npy.Parse(File("{'descr': '<i4', 'fortran_order': True, 'shape': (2, 3), }", data), "x.npy");
        Assert.Equal([0, 1, 2, 3, 4, 5], array.As<int>());
    }

    [Fact]
    public void ConversionsToFloatAndIntAcceptEveryNumericType()
    {
        Assert.Equal([-1f, 0f, 12f], NpyArray.From(new[] { -1.0, 0, 12 }, 3).ToSingle());
        Assert.Equal([-1, 0, 12], NpyArray.From(new[] { -1f, 0, 12 }, 3).ToInt32());
        Assert.Equal([255, 0], NpyArray.From(new byte[] { 255, 0 }, 2).ToInt32());
        Assert.Equal([1f, 0f], NpyArray.From(new[] { true, false }, 2).ToSingle());
    }

    [Fact]
    public void ConvertingAFractionToIntNamesTheSourceAndTheElement()
    {
        var array = Npy.Parse(Npy.Encode(NpyArray.From(new[] { 1f, 2.5f }, 2)), "labels/0.npy");
        Assert.Equal("labels/0.npy: element 1 is 2.5, not a whole number that fits in an int32",
            Assert.Throws<DataFormatException>(() => array.ToInt32()).Message);
    }

    [Fact]
    public void AFileWithoutTheMagicStringIsNotNpy() =>
        Assert.Equal("x.npy: not a .npy file (it does not start with \\x93NUMPY)", ParseError("PK\u0003\u0004 not numpy"u8.ToArray()));

    [Fact]
    public void AnUnknownFormatVersionIsRejected()
    {
        var bytes = NumPyArange6();
        bytes[6] = 4;
        Assert.Equal("x.npy: unsupported format version 4.0 (supported: 1.0, 2.0, 3.0)", ParseError(bytes));
    }

    [Fact]
    public void AnAbsurdHeaderLengthIsRejected()
    {
        byte[] bytes = [0x93, .. "NUMPY"u8, 2, 0, 0, 0, 0, 0x80, .. "{}"u8];
        Assert.Equal("x.npy: header length 2147483648 bytes is absurd (at most 100000)", ParseError(bytes));
    }

    [Fact]
    public void AHeaderLongerThanTheFileIsTruncated() =>
        Assert.Equal("x.npy: truncated header: 118 bytes declared, 50 present", ParseError(NumPyArange6()[..60]));

    [Fact]
    public void MissingDataIsTruncated() =>
        Assert.Equal("x.npy: truncated data: shape (2, 3) of <f4 needs 24 bytes, found 20", ParseError(NumPyArange6()[..^4]));

    [Fact]
    public void BytesAfterTheDataAreRejected() =>
        Assert.Equal("x.npy: 2 bytes of trailing data after the array", ParseError([.. NumPyArange6(), 0, 0]));

    [Theory]
    [InlineData("{'descr': '>f4', 'fortran_order': False, 'shape': (2,), }", "dtype '>f4' is big-endian; only little-endian data is supported")]
    [InlineData("{'descr': '<c8', 'fortran_order': False, 'shape': (2,), }",
        "unsupported dtype '<c8' (supported: |b1, |i1, |u1, <i2, <u2, <i4, <i8, <f4, <f8)")]
    [InlineData("{'descr': [('a', '<f4')], 'fortran_order': False, 'shape': (2,), }",
        "malformed header: 'descr' lists fields: structured dtypes are not supported")]
    [InlineData("{'descr': '<f4', 'fortran_order': 0, 'shape': (2,), }", "malformed header: unexpected value '0'")]
    [InlineData("{'descr': '<f4', 'fortran_order': 'no', 'shape': (2,), }", "'fortran_order' must be True or False")]
    [InlineData("{'descr': '<f4', 'shape': (2,), }", "header lacks 'fortran_order'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), 'extra': True, }", "header has unexpected key 'extra'")]
    [InlineData("{'descr': '<f4', 'descr': '<f4', 'fortran_order': False, 'shape': (2,), }", "header repeats key 'descr'")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (-2,), }", "'shape' has a negative dimension")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2), }", "malformed header: a one-dimensional shape is written (n,), not (n)")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': '2', }", "'shape' must be a tuple of non-negative integers")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (99999999999,), }", "dimension 99999999999 is too large")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), ", "malformed header: the dictionary is not closed")]
    [InlineData("{'descr': '<f4' 'fortran_order': False, 'shape': (2,), }", "malformed header: expected ',' or '}' at offset 16")]
    [InlineData("['descr', '<f4']", "malformed header: expected '{' at offset 0, found '['")]
    [InlineData("{'descr': '<f4', 'fortran_order': False, 'shape': (2,), } junk", "malformed header: unexpected text after the dictionary at offset 58")]
    public void AMalformedHeaderIsRejectedWithItsDefect(string header, string defect) =>
        Assert.Equal($"x.npy: {defect}", ParseError(File(header, new byte[8])));

    [Fact]
    public void AShapeTooLargeForMemoryIsRejected() =>
        Assert.Equal("x.npy: shape (2147483647, 2147483647, 2147483647) is too large",
            ParseError(File("{'descr': '<f8', 'fortran_order': False, 'shape': (2147483647, 2147483647, 2147483647), }", [])));

    [Fact]
    public void ReadHeaderReadsOnlyTheHeader()
    {
        var path = Path.Combine(Path.GetTempPath(), $"npy-header-{Guid.NewGuid():N}.npy");
        try
        {
            Npy.Write(path, new float[12], 3, 4);
            var header = Npy.ReadHeader(path);
            Assert.Equal((NpyDType.Float32, false, 128), (header.DType, header.FortranOrder, header.DataOffset));
            Assert.Equal([3, 4], header.Shape);
        }
        finally
        {
            System.IO.File.Delete(path);
        }
    }
}
