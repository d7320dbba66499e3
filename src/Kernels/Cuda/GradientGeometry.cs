using NativeMtl.Kernels.Cuda.Native;

namespace NativeMtl.Kernels.Cuda;

/// <summary>Gram matrix and weighted combination of per-task gradients (kernels/grad_geometry.cu). The Gram kernel
/// covers up to 36 pairs per pass over g (every pair for K ≤ 8); larger K takes ⌈pairs / 36⌉ passes.</summary>
public sealed unsafe partial class CudaBackend
{
    private const int GramPairs = 36;
    private const uint GeometryBlock = 256;

    public void GradientGram(TensorRef g, TensorRef gram)
    {
        const string op = "GradientGram";
        string suffix = FloatSuffix(g, op);
        RequireContiguous(op, g, gram);
        int k = g.Shape[0];
        long p = g.Shape[1];
        if (gram.DType != g.DType || gram.Rank != 2 || gram.Shape[0] != k || gram.Shape[1] != k)
            throw new ArgumentException($"{op}: {gram} is not the {k}×{k} {g.DType} Gram matrix of {g}");
        int pairs = k * (k + 1) / 2;
        int blocks = (int)Math.Clamp((p + GeometryBlock - 1) / GeometryBlock, 1, _limits.MaxReductionBlocks);
        using var partial = Allocate((long)blocks * Math.Min(pairs, GramPairs) * sizeof(double));
        ulong partialAddress = Own(partial, op).Address;
        for (int first = 0; first < pairs; first += GramPairs)
            GramChunk(suffix, g, gram, first, Math.Min(GramPairs, pairs - first), blocks, partialAddress);
    }

    /// <summary>One pass over g for the pairs [first, first + chunk), then the block that sums their partials.</summary>
    private void GramChunk(string suffix, TensorRef g, TensorRef gram, int first, int chunk, int blocks, ulong partialAddress)
    {
        const string op = "GradientGram";
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add(g.Shape[0]);
        args.Add((long)g.Shape[1]);
        args.Add(first);
        args.Add(chunk);
        args.Add(Address(g, op));
        args.Add(partialAddress);
        Launch($"gram_partial_{suffix}", new LaunchShape((uint)blocks, GeometryBlock), args, op, [g]);
        var finish = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        finish.Add(g.Shape[0]);
        finish.Add(first);
        finish.Add(chunk);
        finish.Add(blocks);
        finish.Add(partialAddress);
        finish.Add(Address(gram, op));
        Launch($"gram_finish_{suffix}", new LaunchShape(1, GeometryBlock), finish, op, [gram]);
    }

    public void GradientCombine(TensorRef g, TensorRef coefficients, TensorRef y)
    {
        const string op = "GradientCombine";
        string suffix = FloatSuffix(g, op);
        RequireContiguous(op, g, coefficients, y);
        int k = g.Shape[0];
        long p = g.Shape[1];
        if (coefficients.Count != k || y.Count != p || coefficients.DType != g.DType || y.DType != g.DType)
            throw new ArgumentException($"{op}: coefficients {coefficients} and output {y} do not match {g}");
        if (p == 0) return;
        var args = new KernelArgs(stackalloc byte[KernelArgs.StorageBytes], stackalloc nint[KernelArgs.MaxArguments]);
        args.Add(k);
        args.Add(p);
        args.Add(Address(g, op));
        args.Add(Address(coefficients, op));
        args.Add(Address(y, op));
        Launch($"combine_{suffix}", PerElement(p), args, op, [g, coefficients, y]);
    }

    /// <summary>The same Gram matrix from cuBLAS's syrk, for comparison with the custom kernel: a row-major K×P
    /// matrix is cuBLAS's column-major P×K matrix A, and AᵀA is syrk(OP_T, n = K, k = P, lda = P). Only the
    /// lower triangle of the row-major result is written (cuBLAS's upper one).</summary>
    public void GradientGramCublas(TensorRef g, TensorRef gram)
    {
        const string op = "GradientGramCublas";
        string suffix = FloatSuffix(g, op);
        RequireContiguous(op, g, gram);
        int k = g.Shape[0], p = g.Shape[1];
        var gpu = Vendor(op, "cuBLAS");
        ulong a = Address(g, op), c = Address(gram, op);
        const int upper = 1, transpose = 1;
        int status;
        if (suffix == "f32")
        {
            float one = 1, zero = 0;
            status = Cublas.cublasSsyrk(gpu.Cublas, upper, transpose, k, p, &one, a, p, &zero, c, k);
        }
        else
        {
            double one = 1, zero = 0;
            status = Cublas.cublasDsyrk(gpu.Cublas, upper, transpose, k, p, &one, a, p, &zero, c, k);
        }
        Cublas.Check(status, suffix == "f32" ? "cublasSsyrk" : "cublasDsyrk", $"{op} on {g}");
    }
}
