namespace NativeMtl.Balancers;

/// <summary>What a task is made for: its role in the run, the dataset's segmentation class count, and the share of
/// corrupted labels the run asks of noisy pseudo-tasks.</summary>
public sealed record TaskRequest(TaskRole Role, int Classes, double LabelNoise);

/// <summary>
/// Tasks added by name from outside the engine (a plug-in's <see cref="INativeMtlPlugin.Register"/>), next to the
/// built-in ones of <see cref="DenseTask.Create"/>, for the scene datasets (synthetic, mtan). A name is registered once
/// and may not be a built-in task's.
/// </summary>
public static class TaskRegistry
{
    private static readonly Lock Gate = new();
    private static readonly Dictionary<string, Func<TaskRequest, DenseTask>> Entries = [];

    public static IReadOnlyList<string> Names
    {
        get
        {
            lock (Gate) return Entries.Keys.Order(StringComparer.Ordinal).ToList();
        }
    }

    public static void Register(string name, Func<TaskRequest, DenseTask> create)
    {
        lock (Gate)
        {
            if (DenseTask.BuiltIn.Contains(name) || Entries.ContainsKey(name)) throw new ArgumentException($"task registry: '{name}' is already a task");
            Entries[name] = create;
        }
    }

    internal static DenseTask? TryCreate(string name, TaskRequest request)
    {
        Func<TaskRequest, DenseTask>? create;
        lock (Gate)
            if (!Entries.TryGetValue(name, out create)) return null;
        var task = create(request);
        return task.Name == name ? task : throw new InvalidOperationException($"task registry: '{name}' made a task named '{task.Name}'");
    }
}
