namespace NativeMtl;

/// <summary>Element type of a tensor. Float32 is the working type; Float64 makes gradient checks tight;
/// Int32 carries labels and indices.</summary>
public enum DType
{
    Float32,
    Float64,
    Int32,
}

public static class DTypeExtensions
{
    public static int SizeInBytes(this DType dtype) => dtype switch
    {
        DType.Float32 => 4,
        DType.Float64 => 8,
        DType.Int32 => 4,
        _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "unknown dtype"),
    };

    public static bool IsFloatingPoint(this DType dtype) => dtype is DType.Float32 or DType.Float64;

    /// <summary>The .NET element type that stores values of this dtype.</summary>
    public static DType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(float) ? DType.Float32
        : typeof(T) == typeof(double) ? DType.Float64
        : typeof(T) == typeof(int) ? DType.Int32
        : throw new NotSupportedException($"no dtype stores {typeof(T).Name}");
}
