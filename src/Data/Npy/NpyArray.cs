using System.Runtime.InteropServices;

namespace NativeMtl.Data;

/// <summary>The element types the .npy reader and writer support, with their NumPy descr strings.</summary>
public enum NpyDType
{
    Bool,
    Int8,
    UInt8,
    Int16,
    UInt16,
    Int32,
    Int64,
    Float32,
    Float64,
}

public static class NpyDTypeExtensions
{
    public static int SizeInBytes(this NpyDType dtype) => dtype switch
    {
        NpyDType.Bool or NpyDType.Int8 or NpyDType.UInt8 => 1,
        NpyDType.Int16 or NpyDType.UInt16 => 2,
        NpyDType.Int32 or NpyDType.Float32 => 4,
        _ => 8,
    };

    /// <summary>The descr NumPy writes for this type on a little-endian machine.</summary>
    public static string Descr(this NpyDType dtype) => dtype switch
    {
        NpyDType.Bool => "|b1",
        NpyDType.Int8 => "|i1",
        NpyDType.UInt8 => "|u1",
        NpyDType.Int16 => "<i2",
        NpyDType.UInt16 => "<u2",
        NpyDType.Int32 => "<i4",
        NpyDType.Int64 => "<i8",
        NpyDType.Float32 => "<f4",
        _ => "<f8",
    };

    internal static NpyDType Of<T>() where T : unmanaged =>
        typeof(T) == typeof(bool) ? NpyDType.Bool
        : typeof(T) == typeof(sbyte) ? NpyDType.Int8
        : typeof(T) == typeof(byte) ? NpyDType.UInt8
        : typeof(T) == typeof(short) ? NpyDType.Int16
        : typeof(T) == typeof(ushort) ? NpyDType.UInt16
        : typeof(T) == typeof(int) ? NpyDType.Int32
        : typeof(T) == typeof(long) ? NpyDType.Int64
        : typeof(T) == typeof(float) ? NpyDType.Float32
        : typeof(T) == typeof(double) ? NpyDType.Float64
        : throw new NotSupportedException($"no .npy dtype stores {typeof(T).Name}");
}

/// <summary>An n-dimensional array as a .npy file holds it: a dtype, a shape and the elements in row-major
/// (C) order as little-endian bytes. <see cref="Source"/> names where it came from in error messages.</summary>
public sealed class NpyArray
{
    public NpyArray(NpyDType dtype, int[] shape, byte[] data, string source = "array")
    {
        long count = 1;
        foreach (int d in shape)
        {
            if (d < 0) throw new ArgumentException($"{source}: shape {Npy.FormatShape(shape)} has a negative dimension");
            count *= d;
        }
        if (data.LongLength != count * dtype.SizeInBytes())
            throw new ArgumentException($"{source}: {data.Length} bytes do not hold shape {Npy.FormatShape(shape)} of {dtype.Descr()}");
        DType = dtype;
        Shape = (int[])shape.Clone();
        Data = data;
        Source = source;
        Count = count;
    }

    public NpyDType DType { get; }
    public IReadOnlyList<int> Shape { get; }
    public long Count { get; }

    /// <summary>The elements, little-endian, row-major.</summary>
    public byte[] Data { get; }

    public string Source { get; }

    /// <summary>An array of <paramref name="values"/> (row-major) with the given shape.</summary>
    public static NpyArray From<T>(T[] values, params int[] shape) where T : unmanaged =>
        new(NpyDTypeExtensions.Of<T>(), shape, MemoryMarshal.AsBytes(values.AsSpan()).ToArray());

    /// <summary>The elements as <typeparamref name="T"/>, which must be exactly this array's type.</summary>
    public T[] As<T>() where T : unmanaged
    {
        if (NpyDTypeExtensions.Of<T>() != DType) throw new InvalidOperationException($"{Source}: the array is {DType.Descr()}, not {typeof(T).Name}");
        return MemoryMarshal.Cast<byte, T>(Data).ToArray();
    }

    /// <summary>The elements converted to float (64-bit integers and doubles round to nearest).</summary>
    public float[] ToSingle()
    {
        var result = new float[Count];
        switch (DType)
        {
            case NpyDType.Float32: MemoryMarshal.Cast<byte, float>(Data).CopyTo(result); break;
            case NpyDType.Float64: Convert(MemoryMarshal.Cast<byte, double>(Data), result, v => (float)v); break;
            case NpyDType.Int64: Convert(MemoryMarshal.Cast<byte, long>(Data), result, v => v); break;
            default: Convert(ToInt32(), result, v => v); break;
        }
        return result;
    }

    /// <summary>The elements converted to int. Floating-point elements must be whole numbers and every element
    /// must fit in an int; otherwise the error names the first element that does not.</summary>
    public int[] ToInt32()
    {
        var result = new int[Count];
        switch (DType)
        {
            case NpyDType.Bool:
            case NpyDType.UInt8: Convert(Data, result, v => v); break;
            case NpyDType.Int8: Convert(MemoryMarshal.Cast<byte, sbyte>(Data), result, v => v); break;
            case NpyDType.Int16: Convert(MemoryMarshal.Cast<byte, short>(Data), result, v => v); break;
            case NpyDType.UInt16: Convert(MemoryMarshal.Cast<byte, ushort>(Data), result, v => v); break;
            case NpyDType.Int32: MemoryMarshal.Cast<byte, int>(Data).CopyTo(result); break;
            case NpyDType.Int64: WholeNumbers(MemoryMarshal.Cast<byte, long>(Data), result, v => v); break;
            case NpyDType.Float32: WholeNumbers(MemoryMarshal.Cast<byte, float>(Data), result, v => v); break;
            default: WholeNumbers(MemoryMarshal.Cast<byte, double>(Data), result, v => v); break;
        }
        return result;
    }

    private static void Convert<TIn, TOut>(ReadOnlySpan<TIn> source, TOut[] result, Func<TIn, TOut> convert)
    {
        for (int i = 0; i < source.Length; i++) result[i] = convert(source[i]);
    }

    private void WholeNumbers<TIn>(ReadOnlySpan<TIn> source, int[] result, Func<TIn, double> value)
    {
        for (int i = 0; i < source.Length; i++)
        {
            double v = value(source[i]);
            if (v != Math.Floor(v) || v < int.MinValue || v > int.MaxValue)
                throw new DataFormatException(Source, $"element {i} is {v}, not a whole number that fits in an int32");
            result[i] = (int)v;
        }
    }
}
