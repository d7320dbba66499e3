using System.Text;
using NativeMtl.Models;

namespace NativeMtl.Tests.Models;

public sealed class SafeTensorsTests : IDisposable
{
    private readonly CheckpointFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private string Malformed(byte[] bytes)
    {
        var path = _folder.File("bad.safetensors");
        File.WriteAllBytes(path, bytes);
        return path;
    }

    private static string MessageOf(string path) => Assert.Throws<CheckpointException>(() => SafeTensorsFile.Open(path).Dispose()).Message;

    [Fact]
    public void EveryDtypeShapeValueAndMetadataSurvivesARoundTrip()
    {
        using var scope = DisposeScope.Enter();
        var path = _folder.File("all.safetensors");
        var f32 = Tensors.FromArray([1.5f, -2, 3, 0, 1e-30f, float.MaxValue], 2, 3);
        var f64 = Tensors.FromArray([Math.PI, -1e300, 0, 1], 4);
        var i32 = Tensors.FromArray([int.MinValue], new Shape());
        var empty = Tensors.Zeros(new Shape(0, 3));
        SafeTensors.Write(path, [("f32", f32), ("f64", f64), ("i32", i32), ("empty", empty)],
            new Dictionary<string, string> { ["step"] = "12", ["config"] = "sha256:ab12" });

        using var file = SafeTensorsFile.Open(path);
        Assert.Equal(new Dictionary<string, string> { ["config"] = "sha256:ab12", ["step"] = "12" }, file.Metadata);
        Assert.Equal(["F32", "F64", "I32", "F32"], new[] { "f32", "f64", "i32", "empty" }.Select(n => file.Entry(n).StoredAs));
        Assert.Equal(f32.ToArray<float>(), file.ReadTensor("f32").ToArray<float>());
        Assert.Equal(new Shape(2, 3), file.ReadTensor("f32").Shape);
        Assert.Equal(f64.ToArray<double>(), file.ReadTensor("f64").ToArray<double>());
        Assert.Equal([int.MinValue], file.ReadTensor("i32").ToArray<int>());
        Assert.Equal(Shape.Scalar, file.ReadTensor("i32").Shape);
        Assert.Equal(new Shape(0, 3), file.ReadTensor("empty").Shape);
    }

    [Fact]
    public void ATinyFileIsLaidOutByteForByteAsTheSpecificationSays()
    {
        using var scope = DisposeScope.Enter();
        var path = _folder.File("tiny.safetensors");
        SafeTensors.Write(path, [("a", Tensors.FromArray([1f, 2], 2)), ("b", Tensors.FromArray([0.5], new Shape()))],
            new Dictionary<string, string> { ["step"] = "3" });

        // The F64 tensor "b" comes first (largest elements first, so each tensor is aligned to its element size);
        // offsets count from the start of the data section. The 135-byte JSON is padded with one space to 136
        // (0x88), a multiple of 8, so the data starts at byte 144.
        const string json = "{\"__metadata__\":{\"step\":\"3\"},"
            + "\"b\":{\"dtype\":\"F64\",\"shape\":[],\"data_offsets\":[0,8]},"
            + "\"a\":{\"dtype\":\"F32\",\"shape\":[2],\"data_offsets\":[8,16]}}";
        byte[] expected =
        [
            0x88, 0, 0, 0, 0, 0, 0, 0,                       // header length 136, u64 little-endian
            .. Encoding.ASCII.GetBytes(json + " "),
            0, 0, 0, 0, 0, 0, 0xE0, 0x3F,                    // 0.5 as a little-endian IEEE double
            0, 0, 0x80, 0x3F,                                // 1f
            0, 0, 0, 0x40,                                   // 2f
        ];
        Assert.Equal(expected, File.ReadAllBytes(path));
    }

    [Fact]
    public void AnEmptyFileIsTheEmptyObjectPaddedToEightBytes()
    {
        var path = _folder.File("empty.safetensors");
        SafeTensors.Write(path, []);
        Assert.Equal([8, 0, 0, 0, 0, 0, 0, 0, .. "{}      "u8.ToArray()], File.ReadAllBytes(path));
    }

    [Fact]
    public void I64TensorsAreReadAsInt32()
    {
        using var scope = DisposeScope.Enter();
        var path = Malformed(RawSafeTensors.Of(("counts", "I64", [2], RawSafeTensors.Int64s(5, -7))));
        using var file = SafeTensorsFile.Open(path);
        var counts = file.ReadTensor("counts");
        Assert.Equal(DType.Int32, counts.DType);
        Assert.Equal([5, -7], counts.ToArray<int>());
    }

    [Fact]
    public void AnI64ValueBeyondInt32IsRefusedNamingTheTensor()
    {
        var path = Malformed(RawSafeTensors.Of(("counts", "I64", [1], RawSafeTensors.Int64s(1L << 32))));
        using var file = SafeTensorsFile.Open(path);
        var e = Assert.Throws<CheckpointException>(() => file.ReadTensor("counts"));
        Assert.Equal($"checkpoint {path}: tensor 'counts' holds the I64 value 4294967296, outside the Int32 range I64 tensors are read into", e.Message);
    }

    [Fact]
    public void AValidFileWithADtypeTheEngineDoesNotReadOpensButThatTensorIsRefused()
    {
        var path = Malformed(RawSafeTensors.Of(("half", "BF16", [2], new byte[4])));
        using var file = SafeTensorsFile.Open(path);
        var e = Assert.Throws<CheckpointException>(() => file.ReadTensor("half"));
        Assert.Equal($"checkpoint {path}: tensor 'half' has dtype BF16, which the engine does not read (it reads F32, F64, I32 and I64)", e.Message);
    }

    [Fact]
    public void AFileShorterThanTheHeaderLengthIsRefused()
    {
        var path = Malformed([2, 0, 0, 0, 0]);
        Assert.Equal($"checkpoint {path}: the file is 5 bytes long, too short for the 8-byte header length", MessageOf(path));
    }

    [Fact]
    public void AnAbsurdHeaderLengthIsRefused()
    {
        var path = Malformed([.. RawSafeTensors.Length(ulong.MaxValue), .. "{}"u8.ToArray()]);
        Assert.Equal($"checkpoint {path}: header length 18446744073709551615 exceeds the limit of 100000000 bytes", MessageOf(path));
    }

    [Fact]
    public void AHeaderLengthPastTheEndOfTheFileIsRefused()
    {
        var path = Malformed([.. RawSafeTensors.Length(1000), .. "{}"u8.ToArray()]);
        Assert.Equal($"checkpoint {path}: header length 1000 runs past the end of the 10-byte file", MessageOf(path));
    }

    [Fact]
    public void AHeaderLengthBelowTwoIsRefused()
    {
        var path = Malformed([.. RawSafeTensors.Length(1), .. "{}"u8.ToArray()]);
        Assert.Equal($"checkpoint {path}: header length 1 is below 2, the size of an empty header '{{}}'", MessageOf(path));
    }

    [Theory]
    [InlineData("[]", 0, "the header does not start with '{'")]
    [InlineData("{'w': ", 0, "the header is not valid JSON (line 1, byte 7)")]
    [InlineData("{'w':[1]}", 4, "tensor 'w' is not a JSON object")]
    [InlineData("{'w':{'dtype':'F32','shape':[1]}}", 4, "tensor 'w' has no 'data_offsets'")]
    [InlineData("{'w':{'dtype':'F17','shape':[1],'data_offsets':[0,4]}}", 4, "tensor 'w' has unknown dtype \"F17\"")]
    [InlineData("{'w':{'dtype':'F32','shape':[2,-1],'data_offsets':[0,4]}}", 4, "tensor 'w' has shape [2,-1], not a list of non-negative integers")]
    [InlineData("{'w':{'dtype':'F32','shape':[1],'data_offsets':[4,0]}}", 4, "tensor 'w' has data_offsets [4,0], not [begin, end] with 0 ≤ begin ≤ end")]
    [InlineData("{'w':{'dtype':'F32','shape':[2,3],'data_offsets':[0,20]}}", 20, "tensor 'w' of shape [2, 3] and dtype F32 needs 24 bytes, but data_offsets [0, 20] hold 20")]
    [InlineData("{'w':{'dtype':'F32','shape':[2],'data_offsets':[0,8]}}", 4, "tensor 'w' has data_offsets [0, 8] beyond the 4-byte data section")]
    [InlineData("{'a':{'dtype':'F32','shape':[2],'data_offsets':[0,8]},'b':{'dtype':'F32','shape':[2],'data_offsets':[4,12]}}", 12,
        "tensors 'a' and 'b' overlap: data_offsets [0, 8] and [4, 12]")]
    [InlineData("{'a':{'dtype':'F32','shape':[1],'data_offsets':[0,4]},'b':{'dtype':'F32','shape':[1],'data_offsets':[8,12]}}", 12,
        "bytes [4, 8) of the data section belong to no tensor")]
    [InlineData("{'a':{'dtype':'F32','shape':[1],'data_offsets':[0,4]}}", 8, "bytes [4, 8) of the data section belong to no tensor")]
    [InlineData("{'w':{'dtype':'F32','shape':[1],'data_offsets':[0,4]},'w':{'dtype':'F32','shape':[1],'data_offsets':[0,4]}}", 4,
        "'w' appears twice in the header")]
    [InlineData("{'__metadata__':{'step':3}}", 0, "metadata 'step' is 3, not a string")]
    [InlineData("{'__metadata__':['step']}", 0, "'__metadata__' is not a JSON object of strings")]
    public void AMalformedHeaderIsRefusedWithOneLineNamingTheDefect(string header, int dataBytes, string detail)
    {
        var path = Malformed(RawSafeTensors.WithHeader(header.Replace('\'', '"'), dataBytes));
        Assert.Equal($"checkpoint {path}: {detail}", MessageOf(path));
    }

    [Fact]
    public void AMissingFileIsNamed()
    {
        var path = _folder.File("absent.safetensors");
        Assert.Equal($"checkpoint {path}: the file does not exist", MessageOf(path));
    }

    [Fact]
    public void AFailureMidWriteLeavesThePreviousFileAndNoTemporaryFile()
    {
        var path = _folder.File("state.safetensors");
        File.WriteAllText(path, "previous");
        var e = Assert.Throws<IOException>(() => AtomicFile.Write(path, stream =>
        {
            stream.Write(new byte[100_000]);
            throw new IOException("simulated: no space left on device");
        }));
        Assert.Equal("simulated: no space left on device", e.Message);
        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Equal(["state.safetensors"], _folder.Names());
    }

    [Fact]
    public void ASuccessfulWriteReplacesThePreviousFileAndLeavesNoTemporaryFile()
    {
        var path = _folder.File("state.safetensors");
        File.WriteAllText(path, "previous");
        AtomicFile.Write(path, stream => stream.Write("next"u8));
        Assert.Equal("next", File.ReadAllText(path));
        Assert.Equal(["state.safetensors"], _folder.Names());
    }

    [Fact]
    public void SavingADisposedTensorIsRefusedAndLeavesThePreviousFileAsItWas()
    {
        var path = _folder.File("state.safetensors");
        File.WriteAllText(path, "previous");
        var gone = Tensors.Zeros(new Shape(2));
        gone.Dispose();
        using var kept = Tensors.Ones(new Shape(2)).DetachFromScope();
        var e = Assert.Throws<CheckpointException>(() => SafeTensors.Write(path, [("kept", kept), ("gone", gone)]));
        Assert.Equal($"checkpoint {path}: tensor 'gone' was disposed before it was saved", e.Message);
        Assert.Equal("previous", File.ReadAllText(path));
        Assert.Equal(["state.safetensors"], _folder.Names());
    }

    [Fact]
    public void WritingIntoAMissingFolderNamesTheFolder()
    {
        var folder = _folder.File("absent");
        var path = Path.Combine(folder, "state.safetensors");
        var e = Assert.Throws<CheckpointException>(() => SafeTensors.Write(path, []));
        Assert.Equal($"checkpoint {path}: folder {folder} does not exist", e.Message);
    }
}
