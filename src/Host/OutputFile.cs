namespace NativeMtl.Host;

/// <summary>Checks, before any work, that a file asked for on the command line can be written, so that a long command
/// does not fail at its end, or name a temporary file of its own.</summary>
internal static class OutputFile
{
    /// <summary>Why a file cannot be written at <paramref name="path"/>, or null when it can (its folder exists and takes
    /// a new file).</summary>
    public static string? Problem(string path)
    {
        if (path.Trim().Length == 0) return "is an empty path";
        if (Directory.Exists(path)) return "is a folder";
        var folder = Path.GetDirectoryName(Path.GetFullPath(path))!;
        if (!Directory.Exists(folder)) return $"cannot be written: its folder {folder} does not exist";
        try
        {
            using var probe = new FileStream(Path.Combine(folder, $".nativemtl-write-probe-{Guid.NewGuid():N}"), FileMode.CreateNew, FileAccess.Write,
                FileShare.None, 1, FileOptions.DeleteOnClose);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return $"cannot be written ({e.Message})";
        }
        return null;
    }
}
