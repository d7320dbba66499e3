using System.Text.RegularExpressions;

namespace NativeMtl.Balancers;

/// <summary>
/// A balancer with its options as one word, for benchmarks that compare variants side by side:
/// <c>auxilight</c>, <c>auxilight[mode=jvp]</c>, <c>classwise[mode=jvp;bins=32]</c>. Option values are passed on as
/// text, as a config file gives them, and the balancer reads and checks them.
/// </summary>
public sealed partial record BalancerSpec(string Name, IReadOnlyDictionary<string, object?> Options)
{
    public static BalancerSpec Parse(string text)
    {
        var match = Form().Match(text.Trim());
        if (!match.Success) throw new ArgumentException($"balancer '{text}' is not NAME or NAME[key=value;…]");
        var options = new Dictionary<string, object?>();
        if (match.Groups["options"].Success)
            foreach (var pair in match.Groups["options"].Value.Split(';', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries))
            {
                int equals = pair.IndexOf('=');
                if (equals <= 0) throw new ArgumentException($"balancer '{text}': option '{pair}' is not key=value");
                if (!options.TryAdd(pair[..equals].Trim(), pair[(equals + 1)..].Trim()))
                    throw new ArgumentException($"balancer '{text}': option '{pair[..equals].Trim()}' is given twice");
            }
        return new BalancerSpec(match.Groups["name"].Value, options);
    }

    /// <summary>Splits a comma-separated list of specs; commas inside brackets belong to the options.</summary>
    public static IReadOnlyList<BalancerSpec> ParseList(string text) =>
        ListItem().Matches(text).Select(m => m.Value.Trim()).Where(s => s.Length > 0).Select(Parse).ToList();

    /// <summary>As written: the name, then the options in brackets.</summary>
    public string Label => Options.Count == 0 ? Name : $"{Name}[{string.Join(";", Options.Select(o => $"{o.Key}={o.Value}"))}]";

    public BalancerOptions ToOptions() => new(Options);

    public override string ToString() => Label;

    [GeneratedRegex(@"^(?<name>[a-z_0-9]+)(\[(?<options>[^\[\]]*)\])?$")]
    private static partial Regex Form();

    [GeneratedRegex(@"[^,\[]+(\[[^\]]*\])?")]
    private static partial Regex ListItem();
}
