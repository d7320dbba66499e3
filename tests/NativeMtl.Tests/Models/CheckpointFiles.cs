using System.Buffers.Binary;
using System.Text;

namespace NativeMtl.Tests.Models;

/// <summary>A temporary folder for checkpoint files, removed with everything in it.</summary>
internal sealed class CheckpointFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("nativemtl-checkpoints-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    /// <summary>The names of the files the folder holds, temporary ones included.</summary>
    public string[] Names() => Directory.GetFiles(Path).Select(System.IO.Path.GetFileName).OfType<string>().Order().ToArray();

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

/// <summary>safetensors bytes built by hand, for files the engine's writer would never produce.</summary>
internal static class RawSafeTensors
{
    /// <summary>An 8-byte little-endian length, the header exactly as given (no padding), then dataBytes zero bytes.</summary>
    public static byte[] WithHeader(string header, int dataBytes) =>
        [.. Length((ulong)Encoding.UTF8.GetByteCount(header)), .. Encoding.UTF8.GetBytes(header), .. new byte[dataBytes]];

    public static byte[] Length(ulong length)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, length);
        return bytes;
    }

    /// <summary>A well-formed file of the given tensors, laid out one after another, with any dtype name.</summary>
    public static byte[] Of(params (string Name, string DType, int[] Shape, byte[] Data)[] tensors)
    {
        long offset = 0;
        var entries = tensors.Select(t =>
        {
            var entry = $"\"{t.Name}\":{{\"dtype\":\"{t.DType}\",\"shape\":[{string.Join(",", t.Shape)}],\"data_offsets\":[{offset},{offset + t.Data.Length}]}}";
            offset += t.Data.Length;
            return entry;
        });
        return [.. WithHeader("{" + string.Join(",", entries) + "}", 0), .. tensors.SelectMany(t => t.Data)];
    }

    public static byte[] Int64s(params long[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();

    public static byte[] Floats(params float[] values) => values.SelectMany(BitConverter.GetBytes).ToArray();
}
