using YamlDotNet.Core;
using YamlDotNet.RepresentationModel;

namespace NativeMtl.Host.Config;

/// <summary>One command-line change to a config: the field's dotted path ("optimizer.lr"), its new value as a YAML
/// node, and how the command line said it (for messages).</summary>
internal sealed record ConfigOverride(string Path, YamlNode Value, string Origin)
{
    /// <summary>"--set PATH=VALUE", the value read as YAML ("0.01", "[16, 32, 64]", "null", "{name: ial}").</summary>
    public static ConfigOverride Parse(string assignment)
    {
        var origin = $"--set {assignment}";
        int equals = assignment.IndexOf('=');
        if (equals <= 0) throw new ConfigException($"{origin}: expected FIELD=VALUE, such as optimizer.lr=0.01");
        var path = assignment[..equals].Trim();
        var text = assignment[(equals + 1)..];
        if (path.Split('.').Any(string.IsNullOrWhiteSpace)) throw new ConfigException($"{origin}: '{path}' is not a field path such as optimizer.lr");
        YamlNode value;
        try
        {
            var stream = new YamlStream();
            stream.Load(new StringReader(text));
            value = stream.Documents.Count == 0 ? new YamlScalarNode("") : stream.Documents[0].RootNode;
        }
        catch (Exception e) when (e is YamlException or InvalidOperationException)
        {
            throw new ConfigException($"{origin}: the value is not valid YAML ({ConfigReader.Describe(e)})");
        }
        return new ConfigOverride(path, value, origin);
    }

    /// <summary>A field set to a plain string, taken as it is (a path, a device name).</summary>
    public static ConfigOverride Text(string path, string text, string origin) =>
        new(path, new YamlScalarNode(text) { Style = YamlDotNet.Core.ScalarStyle.DoubleQuoted }, origin);
}
