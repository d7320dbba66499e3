using System.Numerics;
using System.Numerics.Tensors;

namespace NativeMtl.Kernels.Cpu;

/// <summary>Elementwise ops. Each run of elements is handed to System.Numerics.Tensors as spans: dense
/// runs directly, strided or broadcast runs through small gathered chunks.</summary>
public sealed unsafe partial class CpuBackend
{
    private const int Chunk = 256;

    public void Unary(UnaryOp op, TensorRef x, TensorRef y)
    {
        if (IsDouble(y, op.ToString())) Map<double, UnaryMap<double>>(new UnaryMap<double>(op), x, x, x, y, 1);
        else Map<float, UnaryMap<float>>(new UnaryMap<float>(op), x, x, x, y, 1);
    }

    public void Scalar(ScalarOp op, TensorRef x, double a, double b, TensorRef y)
    {
        if (IsDouble(y, op.ToString())) Map<double, ScalarMap<double>>(new ScalarMap<double>(op, a, b), x, x, x, y, 1);
        else Map<float, ScalarMap<float>>(new ScalarMap<float>(op, (float)a, (float)b), x, x, x, y, 1);
    }

    public void Binary(BinaryOp op, TensorRef a, TensorRef b, TensorRef y)
    {
        if (IsDouble(y, op.ToString())) Map<double, BinaryMap<double>>(new BinaryMap<double>(op), a, b, b, y, 2);
        else Map<float, BinaryMap<float>>(new BinaryMap<float>(op), a, b, b, y, 2);
    }

    public void Where(TensorRef condition, TensorRef a, TensorRef b, TensorRef y)
    {
        bool isDouble = IsDouble(y, "Where");
        switch (condition.DType)
        {
            case DType.Float32 when isDouble: Map<double, WhereMap<double, float>>(new(condition.Ptr<float>()), a, b, condition, y, 3); break;
            case DType.Float64 when isDouble: Map<double, WhereMap<double, double>>(new(condition.Ptr<double>()), a, b, condition, y, 3); break;
            case DType.Int32 when isDouble: Map<double, WhereMap<double, int>>(new(condition.Ptr<int>()), a, b, condition, y, 3); break;
            case DType.Float32: Map<float, WhereMap<float, float>>(new(condition.Ptr<float>()), a, b, condition, y, 3); break;
            case DType.Float64: Map<float, WhereMap<float, double>>(new(condition.Ptr<double>()), a, b, condition, y, 3); break;
            default: Map<float, WhereMap<float, int>>(new(condition.Ptr<int>()), a, b, condition, y, 3); break;
        }
    }

    /// <summary>Walks y with up to two value inputs (a, b) and one extra operand (c, read by the map itself).</summary>
    private static void Map<T, TMap>(TMap map, TensorRef a, TensorRef b, TensorRef c, TensorRef y, int inputs)
        where T : unmanaged, IFloatingPointIeee754<T> where TMap : struct, IChunkMap<T>
    {
        StridedLoop.ForEachRun(y.Shape, [a.Strides, b.Strides, c.Strides, y.Strides],
            new MapRun<T, TMap>(map, a.Ptr<T>(), b.Ptr<T>(), y.Ptr<T>(), inputs));
    }

    private interface IChunkMap<T> where T : unmanaged
    {
        /// <summary>y = f(a, b) over one chunk; <paramref name="cOffset"/> and <paramref name="cStride"/>
        /// locate the chunk in the extra operand.</summary>
        void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y, long cOffset, long cStride);
    }

    private readonly struct MapRun<T, TMap>(TMap map, T* a, T* b, T* y, int inputs) : IRunKernel
        where T : unmanaged, IFloatingPointIeee754<T> where TMap : struct, IChunkMap<T>
    {
        public void Run(ReadOnlySpan<long> offsets, int length, ReadOnlySpan<long> strides)
        {
            Span<T> bufferA = stackalloc T[Chunk];
            Span<T> bufferB = stackalloc T[Chunk];
            Span<T> bufferY = stackalloc T[Chunk];
            for (int start = 0; start < length; start += Chunk)
            {
                int n = Math.Min(Chunk, length - start);
                var sa = View(a, offsets[0] + start * strides[0], strides[0], n, bufferA);
                var sb = inputs >= 2 ? View(b, offsets[1] + start * strides[1], strides[1], n, bufferB) : sa;
                T* yStart = y + offsets[3] + start * strides[3];
                var sy = strides[3] == 1 ? new Span<T>(yStart, n) : bufferY[..n];
                map.Apply(sa, sb, sy, offsets[2] + start * strides[2], strides[2]);
                if (strides[3] != 1)
                    for (int i = 0; i < n; i++) yStart[i * strides[3]] = sy[i];
            }
        }

        private static ReadOnlySpan<T> View(T* p, long offset, long stride, int n, Span<T> buffer)
        {
            if (stride == 1) return new ReadOnlySpan<T>(p + offset, n);
            if (stride == 0) buffer[..n].Fill(p[offset]);
            else for (int i = 0; i < n; i++) buffer[i] = p[offset + i * stride];
            return buffer[..n];
        }
    }

    private readonly struct UnaryMap<T>(UnaryOp op) : IChunkMap<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> _, Span<T> y, long cOffset, long cStride)
        {
            switch (op)
            {
                case UnaryOp.Neg: TensorPrimitives.Negate(x, y); break;
                case UnaryOp.Exp: TensorPrimitives.Exp(x, y); break;
                case UnaryOp.Log: TensorPrimitives.Log(x, y); break;
                case UnaryOp.Sqrt: TensorPrimitives.Sqrt(x, y); break;
                case UnaryOp.Abs: TensorPrimitives.Abs(x, y); break;
                case UnaryOp.Relu: TensorPrimitives.Max(x, T.Zero, y); break;
                case UnaryOp.Sigmoid: TensorPrimitives.Sigmoid(x, y); break;
                case UnaryOp.Tanh:
                    // Element by element through the C library: TensorPrimitives.Tanh (System.Numerics.Tensors 10.0)
                    // computes e^{2x} − 1 without expm1, so near 0 its error is absolute (tanh(0) = −6e-8 in
                    // Float32, 600× the value at 1e-10, and 2.5e-7 relative in Float64).
                    for (int i = 0; i < x.Length; i++) y[i] = T.Tanh(x[i]);
                    break;
                case UnaryOp.Square: TensorPrimitives.Multiply(x, x, y); break;
                case UnaryOp.Reciprocal: TensorPrimitives.Reciprocal(x, y); break;
                case UnaryOp.Sign:
                    for (int i = 0; i < x.Length; i++) y[i] = T.IsNaN(x[i]) ? x[i] : T.CreateTruncating(T.Sign(x[i]));
                    break;
                default: throw new ArgumentOutOfRangeException(nameof(op), op, null);
            }
        }
    }

    private readonly struct ScalarMap<T>(ScalarOp op, T a, T b) : IChunkMap<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Apply(ReadOnlySpan<T> x, ReadOnlySpan<T> _, Span<T> y, long cOffset, long cStride)
        {
            switch (op)
            {
                case ScalarOp.MulAdd:
                    TensorPrimitives.Multiply(x, a, y);
                    TensorPrimitives.Add(y, b, y);
                    break;
                case ScalarOp.Pow: TensorPrimitives.Pow(x, a, y); break;
                case ScalarOp.Clamp:
                    TensorPrimitives.Max(x, a, y);
                    TensorPrimitives.Min(y, b, y);
                    break;
                case ScalarOp.InRange:
                    for (int i = 0; i < x.Length; i++) y[i] = x[i] >= a && x[i] <= b ? T.One : T.Zero;
                    break;
                default: throw new ArgumentOutOfRangeException(nameof(op), op, null);
            }
        }
    }

    private readonly struct BinaryMap<T>(BinaryOp op) : IChunkMap<T> where T : unmanaged, IFloatingPointIeee754<T>
    {
        public void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y, long cOffset, long cStride)
        {
            switch (op)
            {
                case BinaryOp.Add: TensorPrimitives.Add(a, b, y); break;
                case BinaryOp.Sub: TensorPrimitives.Subtract(a, b, y); break;
                case BinaryOp.Mul: TensorPrimitives.Multiply(a, b, y); break;
                case BinaryOp.Div: TensorPrimitives.Divide(a, b, y); break;
                case BinaryOp.Pow: TensorPrimitives.Pow(a, b, y); break;
                case BinaryOp.Equal:
                    for (int i = 0; i < y.Length; i++) y[i] = a[i] == b[i] ? T.One : T.Zero;
                    break;
                case BinaryOp.Greater:
                    for (int i = 0; i < y.Length; i++) y[i] = a[i] > b[i] ? T.One : T.Zero;
                    break;
                case BinaryOp.ReluGrad:
                    for (int i = 0; i < y.Length; i++) y[i] = b[i] > T.Zero ? a[i] : T.Zero;
                    break;
                case BinaryOp.SigmoidGrad:
                    for (int i = 0; i < y.Length; i++) y[i] = a[i] * b[i] * (T.One - b[i]);
                    break;
                case BinaryOp.TanhGrad:
                    for (int i = 0; i < y.Length; i++) y[i] = a[i] * (T.One - b[i] * b[i]);
                    break;
                default: throw new ArgumentOutOfRangeException(nameof(op), op, null);
            }
        }
    }

    /// <summary>Selects between the value inputs by the extra operand, a condition of any dtype.</summary>
    private readonly struct WhereMap<T, TCondition>(TCondition* condition) : IChunkMap<T>
        where T : unmanaged, IFloatingPointIeee754<T> where TCondition : unmanaged, INumberBase<TCondition>
    {
        public void Apply(ReadOnlySpan<T> a, ReadOnlySpan<T> b, Span<T> y, long cOffset, long cStride)
        {
            for (int i = 0; i < y.Length; i++) y[i] = TCondition.IsZero(condition[cOffset + i * cStride]) ? b[i] : a[i];
        }
    }
}
