using System.Globalization;

namespace NativeMtl.Balancers;

/// <summary>A balancer's hyperparameters as the config gives them (numbers, flags, words, per-task numbers).
/// Each balancer reads the keys it knows with its paper's defaults; a key nobody read is a typo and an error.</summary>
public sealed class BalancerOptions
{
    private readonly IReadOnlyDictionary<string, object?> _values;
    private readonly HashSet<string> _read = [];
    private readonly Dictionary<string, object?> _defaults = [];

    /// <summary>Every option a balancer read, with the default it falls back to (null: none, as for per-task values), in
    /// the order read: what <c>nativemtl train --print-config</c> lists.</summary>
    public IReadOnlyDictionary<string, object?> Defaults => _defaults;

    public BalancerOptions(IReadOnlyDictionary<string, object?>? values = null) => _values = values ?? new Dictionary<string, object?>();

    public static BalancerOptions None => new();

    public double Number(string key, double fallback)
    {
        _read.Add(key);
        _defaults.TryAdd(key, fallback);
        if (!_values.TryGetValue(key, out var value) || value is null) return fallback;
        return value switch
        {
            double d => d,
            int i => i,
            long l => l,
            float f => f,
            string s when double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var parsed) => parsed,
            _ => throw new ArgumentException($"option '{key}': '{value}' is not a number"),
        };
    }

    public int Integer(string key, int fallback)
    {
        _defaults.TryAdd(key, fallback);
        double value = Number(key, fallback);
        if (value != Math.Floor(value) || value is < int.MinValue or > int.MaxValue)
            throw new ArgumentException($"option '{key}': {value} is not an integer");
        return (int)value;
    }

    public bool Flag(string key, bool fallback)
    {
        _read.Add(key);
        _defaults.TryAdd(key, fallback);
        if (!_values.TryGetValue(key, out var value) || value is null) return fallback;
        return value switch
        {
            bool b => b,
            string s when bool.TryParse(s, out var parsed) => parsed,
            _ => throw new ArgumentException($"option '{key}': '{value}' is not true or false"),
        };
    }

    public string Word(string key, string fallback, params string[] allowed)
    {
        _read.Add(key);
        _defaults.TryAdd(key, fallback);
        if (!_values.TryGetValue(key, out var value) || value is null) return fallback;
        var word = Convert.ToString(value, CultureInfo.InvariantCulture) ?? "";
        if (!allowed.Contains(word)) throw new ArgumentException($"option '{key}': '{word}' is not one of {string.Join(", ", allowed)}");
        return word;
    }

    /// <summary>A number per task (a mapping task → number); null when the option is absent.</summary>
    public IReadOnlyDictionary<string, double>? PerTask(string key)
    {
        _read.Add(key);
        _defaults.TryAdd(key, null);
        if (!_values.TryGetValue(key, out var value) || value is null) return null;
        if (value is not System.Collections.IDictionary map) throw new ArgumentException($"option '{key}': expected a mapping of task to number");
        var result = new Dictionary<string, double>();
        foreach (System.Collections.DictionaryEntry entry in map)
        {
            var task = Convert.ToString(entry.Key, CultureInfo.InvariantCulture) ?? "";
            var text = Convert.ToString(entry.Value, CultureInfo.InvariantCulture);
            if (!double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var number))
                throw new ArgumentException($"option '{key}': the value for task '{task}' ('{text}') is not a number");
            result[task] = number;
        }
        return result;
    }

    /// <summary>Throws for the first option no reader asked for.</summary>
    internal void EnsureAllRead(string balancer)
    {
        var unknown = _values.Keys.FirstOrDefault(k => !_read.Contains(k));
        if (unknown is not null)
            throw new ArgumentException($"balancer {balancer}: unknown option '{unknown}' (known: {string.Join(", ", _read.Order())})");
    }
}
