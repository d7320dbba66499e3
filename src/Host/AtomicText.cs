namespace NativeMtl.Host;

/// <summary>Writes a text file so that a reader sees the old content or the new, never a half-written file.</summary>
internal static class AtomicText
{
    public static void Write(string path, string text) =>
        Models.AtomicFile.Write(path, stream =>
        {
            using var writer = new StreamWriter(stream, leaveOpen: true);
            writer.Write(text);
        });
}
