using System.Collections.Concurrent;
using NativeMtl.Kernels.Cuda.Native;

namespace NativeMtl.Kernels.Cuda;

/// <summary>
/// Convolutions on cuDNN's legacy API: NCHW tensor and KCRS filter descriptors, a cross-correlation descriptor
/// with the group count and CUDNN_FMA_MATH (so Float32 never runs as TF32), and the algorithm cuDNN's v7
/// heuristics rank first among those that keep FMA math and need no more workspace than
/// <see cref="CudnnWorkspaceLimit"/>. A plan (descriptors, algorithm, workspace size) is built once per shape and
/// reused. Each call takes its workspace from the stream-ordered pool and gives it back right after, so between
/// convolutions that memory serves tensors instead of sitting in a buffer that only grows.
/// </summary>
public sealed unsafe partial class CudaBackend
{
    private enum ConvPass
    {
        Forward,
        BackwardData,
        BackwardFilter,
    }

    private readonly record struct ConvKey(ConvPass Pass, DType DType, int N, int C, int H, int W, int K, int R, int S, int P, int Q, Conv2dGeometry Geometry);

    private sealed record ConvPlan(nint X, nint W, nint Y, nint Conv, int Algorithm, long WorkspaceBytes);

    private readonly ConcurrentDictionary<ConvKey, ConvPlan> _convPlans = new();

    /// <summary>The most workspace one convolution may take (256 MiB, or NATIVEMTL_CUDNN_WORKSPACE_MIB). An algorithm
    /// that needs no workspace always exists, so the cap only ever trades a little speed for memory.</summary>
    public long CudnnWorkspaceLimit { get; init; } =
        (long.TryParse(Environment.GetEnvironmentVariable("NATIVEMTL_CUDNN_WORKSPACE_MIB"), out long mib) && mib >= 0 ? mib : 256) << 20;

    /// <summary>
    /// The algorithm to run from cuDNN's heuristic ranking: the first that succeeds, keeps FMA math and fits
    /// <paramref name="workspaceLimit"/>; else the first that succeeds and fits; else the one that succeeds with
    /// the least workspace. -1 when none succeeds.
    /// </summary>
    internal static int ChooseAlgorithm(ReadOnlySpan<Cudnn.AlgorithmPerformance> ranked, long workspaceLimit)
    {
        int fits = -1, smallest = -1;
        nuint smallestMemory = 0;
        foreach (var r in ranked)
        {
            if (r.Status != Cudnn.StatusSuccess) continue;
            if ((long)r.Memory <= workspaceLimit)
            {
                if (r.MathType == Cudnn.FmaMath) return r.Algorithm;
                if (fits < 0) fits = r.Algorithm;
            }
            if (smallest < 0 || r.Memory < smallestMemory) (smallest, smallestMemory) = (r.Algorithm, r.Memory);
        }
        return fits >= 0 ? fits : smallest;
    }

    /// <summary>A convolution's workspace from the stream-ordered pool, freed (in stream order) once the call is queued.</summary>
    private readonly struct ConvWorkspace : IDisposable
    {
        private readonly CudaDevice _gpu;

        public ConvWorkspace(CudaDevice gpu, long bytes)
        {
            _gpu = gpu;
            Bytes = bytes;
            Address = bytes > 0 ? gpu.Allocate(bytes) : 0;
            WorkspaceCounters.Allocated(bytes);
        }

        public ulong Address { get; }

        public long Bytes { get; }

        public void Dispose()
        {
            if (Address != 0) _gpu.Free(Address);
            WorkspaceCounters.Released(Bytes);
        }
    }

    public void Conv2dForward(TensorRef x, TensorRef w, TensorRef? bias, TensorRef y, Conv2dGeometry geometry)
    {
        var gpu = Vendor("Conv2dForward", "cuDNN");
        var plan = Plan(gpu, ConvPass.Forward, x, w, y, geometry);
        string context = $"Conv2dForward on {x}, {w}, {y}";
        using var workspace = new ConvWorkspace(gpu, plan.WorkspaceBytes);
        float oneF = 1, zeroF = 0;
        double oneD = 1, zeroD = 0;
        bool wide = x.DType == DType.Float64;
        void* one = wide ? &oneD : &oneF, zero = wide ? &zeroD : &zeroF;
        Cudnn.Check(Cudnn.cudnnConvolutionForward(gpu.Cudnn, one, plan.X, Address(x, "Conv2dForward"), plan.W, Address(w, "Conv2dForward"),
            plan.Conv, plan.Algorithm, workspace.Address, (nuint)plan.WorkspaceBytes, zero, plan.Y, Address(y, "Conv2dForward")), "cudnnConvolutionForward", context);
        if (bias is not { } b) return;
        var biasDescriptor = TensorDescriptor(x.DType, 1, w.Shape[0], 1, 1);
        try
        {
            Cudnn.Check(Cudnn.cudnnAddTensor(gpu.Cudnn, one, biasDescriptor, Address(b, "Conv2dForward"), one, plan.Y, Address(y, "Conv2dForward")),
                "cudnnAddTensor", context);
        }
        finally
        {
            Cudnn.cudnnDestroyTensorDescriptor(biasDescriptor);
        }
    }

    public void Conv2dBackwardData(TensorRef gy, TensorRef w, TensorRef gx, Conv2dGeometry geometry)
    {
        var gpu = Vendor("Conv2dBackwardData", "cuDNN");
        var plan = Plan(gpu, ConvPass.BackwardData, gx, w, gy, geometry);
        using var workspace = new ConvWorkspace(gpu, plan.WorkspaceBytes);
        float oneF = 1, zeroF = 0;
        double oneD = 1, zeroD = 0;
        bool wide = gy.DType == DType.Float64;
        void* one = wide ? &oneD : &oneF, zero = wide ? &zeroD : &zeroF;
        Cudnn.Check(Cudnn.cudnnConvolutionBackwardData(gpu.Cudnn, one, plan.W, Address(w, "Conv2dBackwardData"), plan.Y, Address(gy, "Conv2dBackwardData"),
            plan.Conv, plan.Algorithm, workspace.Address, (nuint)plan.WorkspaceBytes, zero, plan.X, Address(gx, "Conv2dBackwardData")),
            "cudnnConvolutionBackwardData", $"Conv2dBackwardData on {gy}, {w}, {gx}");
    }

    public void Conv2dBackwardFilter(TensorRef x, TensorRef gy, TensorRef gw, Conv2dGeometry geometry)
    {
        var gpu = Vendor("Conv2dBackwardFilter", "cuDNN");
        var plan = Plan(gpu, ConvPass.BackwardFilter, x, gw, gy, geometry);
        using var workspace = new ConvWorkspace(gpu, plan.WorkspaceBytes);
        float oneF = 1, zeroF = 0;
        double oneD = 1, zeroD = 0;
        bool wide = x.DType == DType.Float64;
        void* one = wide ? &oneD : &oneF, zero = wide ? &zeroD : &zeroF;
        Cudnn.Check(Cudnn.cudnnConvolutionBackwardFilter(gpu.Cudnn, one, plan.X, Address(x, "Conv2dBackwardFilter"), plan.Y, Address(gy, "Conv2dBackwardFilter"),
            plan.Conv, plan.Algorithm, workspace.Address, (nuint)plan.WorkspaceBytes, zero, plan.W, Address(gw, "Conv2dBackwardFilter")),
            "cudnnConvolutionBackwardFilter", $"Conv2dBackwardFilter on {x}, {gy}, {gw}");
    }

    private ConvPlan Plan(CudaDevice gpu, ConvPass pass, TensorRef x, TensorRef w, TensorRef y, Conv2dGeometry g)
    {
        string op = $"Conv2d{pass}";
        FloatSuffix(x, op);
        RequireContiguous(op, x, w, y);
        if (x.Rank != 4 || w.Rank != 4 || y.Rank != 4 || w.Shape[1] * g.Groups != x.Shape[1] || y.Shape[1] != w.Shape[0])
            throw new ArgumentException($"{op}: x {x}, w {w} and y {y} are not NCHW, KCRS ([K, C/groups, R, S]) and NKPQ with {g.Groups} group(s)");
        var key = new ConvKey(pass, x.DType, x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3], w.Shape[0], w.Shape[2], w.Shape[3], y.Shape[2], y.Shape[3], g);
        if (_convPlans.TryGetValue(key, out var plan)) return plan;
        gpu.Enter();
        string context = $"{op} plan for {x}, {w}, {y}";
        int type = x.DType == DType.Float64 ? Cudnn.DataDouble : Cudnn.DataFloat;
        nint xd = TensorDescriptor(x.DType, x.Shape[0], x.Shape[1], x.Shape[2], x.Shape[3]);
        nint yd = TensorDescriptor(x.DType, y.Shape[0], y.Shape[1], y.Shape[2], y.Shape[3]);
        Cudnn.Check(Cudnn.cudnnCreateFilterDescriptor(out nint wd), "cudnnCreateFilterDescriptor", context);
        Cudnn.Check(Cudnn.cudnnSetFilter4dDescriptor(wd, type, Cudnn.TensorNchw, w.Shape[0], w.Shape[1], w.Shape[2], w.Shape[3]), "cudnnSetFilter4dDescriptor", context);
        Cudnn.Check(Cudnn.cudnnCreateConvolutionDescriptor(out nint cd), "cudnnCreateConvolutionDescriptor", context);
        Cudnn.Check(Cudnn.cudnnSetConvolution2dDescriptor(cd, g.PadH, g.PadW, g.StrideH, g.StrideW, g.DilationH, g.DilationW, Cudnn.CrossCorrelation, type),
            "cudnnSetConvolution2dDescriptor", context);
        Cudnn.Check(Cudnn.cudnnSetConvolutionGroupCount(cd, g.Groups), "cudnnSetConvolutionGroupCount", context);
        Cudnn.Check(Cudnn.cudnnSetConvolutionMathType(cd, Cudnn.FmaMath), "cudnnSetConvolutionMathType", context);

        const int Requested = 16;
        var results = stackalloc Cudnn.AlgorithmPerformance[Requested];
        int returned;
        nint h = gpu.Cudnn;
        switch (pass)
        {
            case ConvPass.Forward:
                Cudnn.Check(Cudnn.cudnnGetConvolutionForwardAlgorithm_v7(h, xd, wd, cd, yd, Requested, out returned, results), "cudnnGetConvolutionForwardAlgorithm_v7", context);
                break;
            case ConvPass.BackwardData:
                Cudnn.Check(Cudnn.cudnnGetConvolutionBackwardDataAlgorithm_v7(h, wd, yd, cd, xd, Requested, out returned, results), "cudnnGetConvolutionBackwardDataAlgorithm_v7", context);
                break;
            default:
                Cudnn.Check(Cudnn.cudnnGetConvolutionBackwardFilterAlgorithm_v7(h, xd, yd, cd, wd, Requested, out returned, results), "cudnnGetConvolutionBackwardFilterAlgorithm_v7", context);
                break;
        }
        int algorithm = ChooseAlgorithm(new ReadOnlySpan<Cudnn.AlgorithmPerformance>(results, returned), CudnnWorkspaceLimit);
        if (algorithm < 0) throw new CudaException(0, "cudnnGetConvolution*Algorithm_v7", context, $"none of the {returned} algorithms cuDNN proposed can run");
        // The heuristics may report another math type for an algorithm; the descriptor keeps FMA math regardless.
        Cudnn.Check(Cudnn.cudnnSetConvolutionMathType(cd, Cudnn.FmaMath), "cudnnSetConvolutionMathType", context);

        nuint bytes;
        switch (pass)
        {
            case ConvPass.Forward:
                Cudnn.Check(Cudnn.cudnnGetConvolutionForwardWorkspaceSize(h, xd, wd, cd, yd, algorithm, out bytes), "cudnnGetConvolutionForwardWorkspaceSize", context);
                break;
            case ConvPass.BackwardData:
                Cudnn.Check(Cudnn.cudnnGetConvolutionBackwardDataWorkspaceSize(h, wd, yd, cd, xd, algorithm, out bytes), "cudnnGetConvolutionBackwardDataWorkspaceSize", context);
                break;
            default:
                Cudnn.Check(Cudnn.cudnnGetConvolutionBackwardFilterWorkspaceSize(h, xd, yd, cd, wd, algorithm, out bytes), "cudnnGetConvolutionBackwardFilterWorkspaceSize", context);
                break;
        }
        plan = new ConvPlan(xd, wd, yd, cd, algorithm, (long)bytes);
        return _convPlans.GetOrAdd(key, plan);
    }

    private static nint TensorDescriptor(DType dtype, int n, int c, int h, int w)
    {
        Cudnn.Check(Cudnn.cudnnCreateTensorDescriptor(out nint d), "cudnnCreateTensorDescriptor");
        Cudnn.Check(Cudnn.cudnnSetTensor4dDescriptor(d, Cudnn.TensorNchw, dtype == DType.Float64 ? Cudnn.DataDouble : Cudnn.DataFloat, n, c, h, w),
            "cudnnSetTensor4dDescriptor", $"[{n},{c},{h},{w}]");
        return d;
    }
}
