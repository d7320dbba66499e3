namespace NativeMtl.Host.Config;

/// <summary>A config that cannot be used. The message is one line that says where (file and line, or the
/// command-line override) and what is wrong.</summary>
internal sealed class ConfigException(string message) : Exception(message);
