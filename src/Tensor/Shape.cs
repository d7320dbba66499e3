namespace NativeMtl;

/// <summary>An immutable list of axis sizes. Rank 0 is a scalar.</summary>
public sealed class Shape : IEquatable<Shape>
{
    private readonly int[] _dims;

    public Shape(params int[] dims)
    {
        foreach (var d in dims)
            if (d < 0) throw new ArgumentException($"shape {Format(dims)} has a negative size");
        _dims = (int[])dims.Clone();
    }

    public static Shape Scalar { get; } = new();

    public int Rank => _dims.Length;

    public int this[int axis] => _dims[NormalizeAxis(axis)];

    public long Count
    {
        get
        {
            long n = 1;
            foreach (var d in _dims) n *= d;
            return n;
        }
    }

    public int[] ToArray() => (int[])_dims.Clone();

    public ReadOnlySpan<int> AsSpan() => _dims;

    /// <summary>Maps a negative axis (counted from the end) to its index; throws when out of range.</summary>
    public int NormalizeAxis(int axis)
    {
        int a = axis < 0 ? axis + Rank : axis;
        if (a < 0 || a >= Rank) throw new ArgumentOutOfRangeException(nameof(axis), $"axis {axis} is out of range for shape {this}");
        return a;
    }

    /// <summary>The shape both operands broadcast to, by NumPy's rules (align trailing axes; size 1 stretches).</summary>
    public static Shape Broadcast(string op, Shape a, Shape b)
    {
        int rank = Math.Max(a.Rank, b.Rank);
        var dims = new int[rank];
        for (int i = 0; i < rank; i++)
        {
            int da = i - (rank - a.Rank) >= 0 ? a._dims[i - (rank - a.Rank)] : 1;
            int db = i - (rank - b.Rank) >= 0 ? b._dims[i - (rank - b.Rank)] : 1;
            if (da != db && da != 1 && db != 1)
                throw new ShapeException(op, $"shapes {a} and {b} do not broadcast");
            dims[i] = da == 1 ? db : da;
        }
        return new Shape(dims);
    }

    public bool Equals(Shape? other) => other is not null && _dims.AsSpan().SequenceEqual(other._dims);

    public override bool Equals(object? obj) => Equals(obj as Shape);

    public override int GetHashCode()
    {
        var h = new HashCode();
        foreach (var d in _dims) h.Add(d);
        return h.ToHashCode();
    }

    public static bool operator ==(Shape? a, Shape? b) => a is null ? b is null : a.Equals(b);

    public static bool operator !=(Shape? a, Shape? b) => !(a == b);

    public static implicit operator Shape(int[] dims) => new(dims);

    public override string ToString() => Format(_dims);

    private static string Format(int[] dims) => "[" + string.Join(", ", dims) + "]";
}

/// <summary>An op received tensors whose shapes it cannot work with. The message names the op and the shapes.</summary>
public sealed class ShapeException(string op, string detail) : ArgumentException($"{op}: {detail}")
{
    public string Op { get; } = op;
}
