namespace NativeMtl.Models;

/// <summary>A checkpoint that cannot be written, read or applied. The message is one line naming the file and
/// what is wrong with it (and the tensor, where one is at fault).</summary>
public sealed class CheckpointException(string path, string detail, Exception? inner = null)
    : IOException($"checkpoint {path}: {detail}", inner)
{
    public string Path { get; } = path;

    /// <summary>What is wrong, without the file's name.</summary>
    public string Reason { get; } = detail;
}
