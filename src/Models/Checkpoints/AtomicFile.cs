namespace NativeMtl.Models;

/// <summary>Replaces a file as a whole or not at all, so a crash or an error mid-write never leaves a
/// half-written checkpoint behind.</summary>
public static class AtomicFile
{
    /// <summary>
    /// Runs <paramref name="write"/> on a new temporary file in the destination's folder (so the rename stays on
    /// one file system), flushes it to the disk, then renames it over <paramref name="path"/>, which POSIX
    /// file systems do atomically. If anything throws, the temporary file is deleted and the previous file,
    /// if any, is left as it was.
    /// </summary>
    public static void Write(string path, Action<Stream> write)
    {
        var target = Path.GetFullPath(path);
        var folder = Path.GetDirectoryName(target)!;
        var temporary = Path.Combine(folder, $".{Path.GetFileName(target)}.{Guid.NewGuid():N}.tmp");
        try
        {
            using (var stream = new FileStream(temporary, FileMode.CreateNew, FileAccess.Write, FileShare.None, 1 << 16))
            {
                write(stream);
                stream.Flush(flushToDisk: true);
            }
            File.Move(temporary, target, overwrite: true);
        }
        catch
        {
            File.Delete(temporary);
            throw;
        }
    }
}
