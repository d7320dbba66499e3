using System.Diagnostics;
using System.Globalization;

namespace NativeMtl.Host.Training;

/// <summary>
/// The one writer of a run folder. <see cref="Acquire"/> takes an exclusive operating-system lock on the folder's
/// <c>.lock</c> file (flock on Linux, through .NET's FileShare.None), which the kernel drops when the process ends in
/// any way, kill -9 included, so a lock is never left stale. Who holds it is written beside it, in
/// <c>.lock-owner</c>, so that a second writer can be told.
/// </summary>
internal sealed class RunLock : IDisposable
{
    private readonly FileStream _lock;
    private readonly string _folder;
    private readonly bool _created;
    private bool _abandoned;

    private RunLock(FileStream handle, string folder, bool created)
    {
        _lock = handle;
        _folder = folder;
        _created = created;
    }

    public static string LockPath(string folder) => Path.Combine(folder, ".lock");

    public static string OwnerPath(string folder) => Path.Combine(folder, ".lock-owner");

    /// <summary>Takes the folder's lock (creating the folder) or throws <see cref="RunInputException"/> naming the
    /// process that holds it.</summary>
    public static RunLock Acquire(string folder, string command)
    {
        bool created = !Directory.Exists(folder);
        Directory.CreateDirectory(folder);
        FileStream handle;
        try
        {
            handle = new FileStream(LockPath(folder), FileMode.OpenOrCreate, FileAccess.ReadWrite, FileShare.None);
        }
        catch (IOException)
        {
            var holder = File.Exists(OwnerPath(folder)) ? File.ReadAllText(OwnerPath(folder)).Trim() : "";
            throw new RunInputException($"{folder} is in use by {(holder.Length > 0 ? holder : "another process")}; " +
                "a run folder takes one writer at a time: wait for it to end or stop it first");
        }
        var process = Process.GetCurrentProcess();
        var owner = $"nativemtl {command} (pid {Environment.ProcessId} on {Environment.MachineName}, " +
            $"started {process.StartTime.ToUniversalTime().ToString("yyyy-MM-dd HH:mm:ss", CultureInfo.InvariantCulture)} UTC)";
        File.WriteAllText(OwnerPath(folder), owner + "\n");
        return new RunLock(handle, folder, created);
    }

    /// <summary>The run never started: on release, the lock's files go, and the folder too if this lock made it.</summary>
    public void Abandon() => _abandoned = true;

    public void Dispose()
    {
        try
        {
            File.Delete(OwnerPath(_folder));
            if (_abandoned) File.Delete(LockPath(_folder));
        }
        catch (IOException)
        {
            // The owner note is only a courtesy; the lock itself goes with the handle.
        }
        _lock.Dispose();
        if (_abandoned && _created && !Directory.EnumerateFileSystemEntries(_folder).Any()) Directory.Delete(_folder);
    }
}
