using System.Runtime.InteropServices;
using NativeMtl.Kernels;

namespace NativeMtl;

/// <summary>Creation of new tensors. Every function takes an optional device (CPU by default).</summary>
public static class Tensors
{
    /// <summary>A tensor whose contents are undefined until written.</summary>
    public static Tensor Empty(Shape shape, DType dtype = DType.Float32, Device? device = null) =>
        Tensor.Allocate(shape, dtype, device ?? Device.Cpu);

    public static Tensor Full(Shape shape, double value, DType dtype = DType.Float32, Device? device = null)
    {
        var t = Empty(shape, dtype, device);
        t.Backend.Fill(t.Ref, value);
        return t;
    }

    public static Tensor Zeros(Shape shape, DType dtype = DType.Float32, Device? device = null) => Full(shape, 0, dtype, device);

    public static Tensor Ones(Shape shape, DType dtype = DType.Float32, Device? device = null) => Full(shape, 1, dtype, device);

    public static Tensor Scalar(double value, DType dtype = DType.Float32, Device? device = null) => Full(Shape.Scalar, value, dtype, device);

    public static Tensor ZerosLike(Tensor t) => Zeros(t.Shape, t.DType, t.Device);

    public static Tensor OnesLike(Tensor t) => Ones(t.Shape, t.DType, t.Device);

    /// <summary>start, start + step, … below end (above end for a negative step).</summary>
    public static Tensor Arange(double start, double end, double step = 1, DType dtype = DType.Float32, Device? device = null)
    {
        if (step == 0) throw new ArgumentException("Arange: step must not be zero");
        int count = Math.Max(0, (int)Math.Ceiling((end - start) / step));
        var t = Empty(new Shape(count), dtype, device);
        if (count > 0) t.Backend.Arange(t.Ref, start, step);
        return t;
    }

    /// <summary>Copies host data (row-major) into a new tensor of the given shape.</summary>
    public static Tensor FromArray<T>(T[] data, Shape shape, Device? device = null) where T : unmanaged
    {
        if (data.LongLength != shape.Count)
            throw new ShapeException("FromArray", $"{data.Length} values do not fill shape {shape}");
        var t = Empty(shape, DTypeExtensions.Of<T>(), device);
        if (data.Length > 0) t.Backend.CopyFromHost(MemoryMarshal.AsBytes(data.AsSpan()), t.Ref.Buffer, 0);
        return t;
    }

    public static Tensor FromArray<T>(T[] data, params int[] shape) where T : unmanaged => FromArray(data, new Shape(shape));

    /// <summary>Uniform samples on [low, high).</summary>
    public static Tensor Uniform(Shape shape, Generator generator, double low = 0, double high = 1,
        DType dtype = DType.Float32, Device? device = null) =>
        Random(shape, RandomDistribution.Uniform, generator, low, high, dtype, device);

    public static Tensor Normal(Shape shape, Generator generator, double mean = 0, double std = 1,
        DType dtype = DType.Float32, Device? device = null) =>
        Random(shape, RandomDistribution.Normal, generator, mean, std, dtype, device);

    private static Tensor Random(Shape shape, RandomDistribution distribution, Generator generator, double a, double b,
        DType dtype, Device? device)
    {
        if (!dtype.IsFloatingPoint()) throw new ArgumentException($"random {distribution} samples need a floating-point dtype, not {dtype}");
        var t = Empty(shape, dtype, device);
        t.Backend.Random(t.Ref, distribution, generator.Seed, generator.Take(shape.Count), a, b);
        return t;
    }
}
