using YamlDotNet.RepresentationModel;

namespace NativeMtl.Host.Config;

/// <summary>A sweep's or a search's file: one YAML mapping, whose errors name the file (as "<paramref name="kind"/>
/// PATH") and the line.</summary>
internal sealed class SpecFile
{
    private SpecFile(string kind, string path, YamlMappingNode root)
    {
        (Kind, Path, Root) = (kind, path, root);
        Folder = System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!;
    }

    public string Kind { get; }

    public string Path { get; }

    public YamlMappingNode Root { get; }

    /// <summary>The file's folder, which its relative paths start from.</summary>
    public string Folder { get; }

    public static SpecFile Load(string kind, string path, IReadOnlyList<string> keys)
    {
        var stream = new YamlStream();
        try
        {
            using var reader = new StreamReader(path);
            stream.Load(reader);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException or YamlDotNet.Core.YamlException)
        {
            throw new ConfigException($"{kind} {path}: {e.Message}");
        }
        if (stream.Documents.Count == 0 || stream.Documents[0].RootNode is not YamlMappingNode root)
            throw new ConfigException($"{kind} {path}: expected a mapping with {string.Join(", ", keys)}");
        return new SpecFile(kind, path, root);
    }

    /// <summary>"KIND PATH line N", the start of an error about <paramref name="node"/>.</summary>
    public string Where(YamlNode node) => $"{Kind} {Path} line {node.Start.Line}";
}
