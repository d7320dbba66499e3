using System.Numerics;

namespace NativeMtl.Kernels.Cpu;

public sealed unsafe partial class CpuBackend
{
    public void Copy(TensorRef x, TensorRef y)
    {
        if (!x.Shape.AsSpan().SequenceEqual(y.Shape)) throw new ArgumentException($"Copy: shapes of {x} and {y} differ");
        switch (x.DType)
        {
            case DType.Float32: CopyFrom<float>(x, y); break;
            case DType.Float64: CopyFrom<double>(x, y); break;
            default: CopyFrom<int>(x, y); break;
        }
    }

    private static void CopyFrom<TFrom>(TensorRef x, TensorRef y) where TFrom : unmanaged, INumberBase<TFrom>
    {
        switch (y.DType)
        {
            case DType.Float32: Copy<TFrom, float>(x, y); break;
            case DType.Float64: Copy<TFrom, double>(x, y); break;
            default: Copy<TFrom, int>(x, y); break;
        }
    }

    private static void Copy<TFrom, TTo>(TensorRef x, TensorRef y)
        where TFrom : unmanaged, INumberBase<TFrom> where TTo : unmanaged, INumberBase<TTo> =>
        StridedLoop.ForEachRun(y.Shape, [x.Strides, y.Strides], new CopyRun<TFrom, TTo>(x.Ptr<TFrom>(), y.Ptr<TTo>()));

    /// <summary>Converts with saturation (a float beyond Int32's range becomes its bound; NaN becomes 0),
    /// truncating toward zero like PyTorch's casts.</summary>
    private readonly struct CopyRun<TFrom, TTo>(TFrom* x, TTo* y) : IRunKernel
        where TFrom : unmanaged, INumberBase<TFrom> where TTo : unmanaged, INumberBase<TTo>
    {
        public void Run(ReadOnlySpan<long> offsets, int length, ReadOnlySpan<long> strides)
        {
            TFrom* src = x + offsets[0];
            TTo* dst = y + offsets[1];
            if (typeof(TFrom) == typeof(TTo) && strides[0] == 1 && strides[1] == 1)
            {
                new ReadOnlySpan<TFrom>(src, length).CopyTo(new Span<TFrom>(dst, length));
                return;
            }
            long sx = strides[0], sy = strides[1];
            for (int i = 0; i < length; i++) dst[i * sy] = TTo.CreateSaturating(src[i * sx]);
        }
    }
}
