using System.Security.Cryptography;
using System.Text;

namespace NativeMtl.Kernels.Cuda;

/// <summary>
/// The folder where kernels built at run time are kept between runs and processes: the PTX of
/// <see cref="RuntimeModule"/>s and the libraries of <see cref="HostEmulator"/>s. A file is named by a hash of
/// everything it was built from, so a stale file is never read (it is simply no longer asked for), and is written
/// under a temporary name and renamed into place, so a process never reads one that another is still writing.
/// </summary>
internal static class KernelCache
{
    public const string FolderVariable = "NATIVEMTL_KERNEL_CACHE";

    /// <summary>$NATIVEMTL_KERNEL_CACHE, else $XDG_CACHE_HOME/nativemtl/kernels, else ~/.cache/nativemtl/kernels.</summary>
    public static string Folder()
    {
        var chosen = Environment.GetEnvironmentVariable(FolderVariable);
        if (!string.IsNullOrEmpty(chosen)) return chosen;
        var xdg = Environment.GetEnvironmentVariable("XDG_CACHE_HOME");
        var root = string.IsNullOrEmpty(xdg) ? Path.Join(Environment.GetFolderPath(Environment.SpecialFolder.UserProfile), ".cache") : xdg;
        return Path.Join(root, "nativemtl", "kernels");
    }

    /// <summary><c>{stem}-{SHA-256 of the parts, in hex}.{extension}</c>. The parts are joined with NUL bytes, which
    /// no source or option contains, so moving text from one part to the next changes the hash.</summary>
    public static string FileName(string stem, string extension, IEnumerable<string> parts) =>
        $"{stem}-{Convert.ToHexStringLower(SHA256.HashData(Encoding.UTF8.GetBytes(string.Join('\0', parts))))}.{extension}";

    /// <summary>Writes <paramref name="file"/> by having <paramref name="write"/> write a temporary file beside it,
    /// then renaming that into place (atomic within a folder). A folder that cannot be written is named, with the
    /// way to choose another.</summary>
    public static void Publish(string file, Action<string> write)
    {
        var temporary = $"{file}.{Environment.ProcessId}-{Guid.NewGuid():N}.tmp";
        try
        {
            Directory.CreateDirectory(Path.GetDirectoryName(file)!);
            write(temporary);
            File.Move(temporary, file, overwrite: true);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new IOException($"{file} cannot be written to the kernel cache (set {FolderVariable} to a writable folder): {e.Message}", e);
        }
        finally
        {
            if (File.Exists(temporary)) File.Delete(temporary);
        }
    }
}
