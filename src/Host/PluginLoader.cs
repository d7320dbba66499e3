using System.Reflection;
using System.Runtime.Loader;
using NativeMtl.Balancers;
using NativeMtl.Host.Config;

namespace NativeMtl.Host;

/// <summary>
/// Loads plug-in assemblies (<c>--plugin PATH.dll</c>, the config's <c>plugins</c>) into the host's own load context, so
/// that they share its NativeMtl assemblies, with their other dependencies found beside them (their .deps.json), and
/// calls <see cref="INativeMtlPlugin.Register"/> on each of their plug-in classes. An assembly is loaded once per
/// process, however often it is named. Every failure is a <see cref="ConfigException"/> naming the assembly.
/// </summary>
internal static class PluginLoader
{
    private static readonly Lock Gate = new();
    private static readonly HashSet<string> Loaded = new(StringComparer.Ordinal);

    public static void Load(string path)
    {
        path = Path.GetFullPath(path);
        lock (Gate)
        {
            if (Loaded.Contains(path)) return;
            if (!File.Exists(path)) throw new ConfigException($"plugin {path}: no such file");
            Assembly assembly;
            Type[] plugins;
            try
            {
                var dependencies = new AssemblyDependencyResolver(path);
                AssemblyLoadContext.Default.Resolving += (context, name) =>
                    dependencies.ResolveAssemblyToPath(name) is { } found ? context.LoadFromAssemblyPath(found) : null;
                assembly = AssemblyLoadContext.Default.LoadFromAssemblyPath(path);
                plugins = assembly.GetExportedTypes().Where(t => t is { IsClass: true, IsAbstract: false } && typeof(INativeMtlPlugin).IsAssignableFrom(t)).ToArray();
            }
            catch (Exception e) when (e is BadImageFormatException or FileLoadException or FileNotFoundException or TypeLoadException or InvalidOperationException)
            {
                throw new ConfigException($"plugin {path}: cannot be loaded ({e.Message})");
            }
            if (plugins.Length == 0)
                throw new ConfigException($"plugin {path}: {assembly.GetName().Name} has no public class implementing {typeof(INativeMtlPlugin).FullName}");
            Loaded.Add(path);
            foreach (var type in plugins) Activate(type, path);
        }
    }

    /// <summary>Calls one plug-in class's Register; a name registered twice, or any other failure in it, names the assembly.</summary>
    internal static void Activate(Type plugin, string path)
    {
        try
        {
            ((INativeMtlPlugin)Activator.CreateInstance(plugin)!).Register();
        }
        catch (Exception e) when (e is ArgumentException or MissingMethodException or InvalidOperationException or TargetInvocationException)
        {
            throw new ConfigException($"plugin {path}: {plugin.FullName}.Register: {(e is TargetInvocationException { InnerException: { } inner } ? inner.Message : e.Message)}");
        }
    }
}
