using NativeMtl.Kernels;
using NativeMtl.Raw;
using Spectre.Console;

namespace NativeMtl.Host.Check;

/// <summary>
/// Every op on the CPU and on the device from the same inputs: the forward value, and the gradient of
/// Σ gy·output with respect to each differentiable input (through <see cref="Autograd.Grad(Tensor[], Tensor[], Tensor[], bool)"/>),
/// with gy drawn at random. Inputs are drawn on the CPU and copied, so both sides see the same numbers.
/// Thresholds on the normwise relative error: 1e-4 for elementwise ops and reductions, 1e-3 for convolution and
/// GEMM (TF32 is off, but cuDNN and cuBLAS sum in other orders than the CPU's GEMM). On the emulated device (the
/// CUDA backend's kernels in the host emulator, which the test suite registers) the ops that run on cuDNN or cuBLAS
/// are listed as skipped, since those libraries exist only on a GPU; every other row is compared as on a GPU.
/// </summary>
internal static class OpParity
{
    private const double Light = 1e-4;
    private const double Heavy = 1e-3;

    /// <summary>An input: a shape and uniform range, or fixed Int32 values; differentiable unless said otherwise.</summary>
    private sealed record Input(Shape Shape, double Low = -2, double High = 2, bool Differentiable = true, int[]? Labels = null);

    /// <summary>An op to compare; <paramref name="Library"/> names the vendor library it runs on under CUDA, if any.</summary>
    private sealed record Case(string Op, double Threshold, Input[] Inputs, Func<Tensor[], Device, Tensor> Forward, string? Library = null);

    /// <summary>One line of the table: an op's forward or backward pass, why it could not be compared, or why it
    /// was not run (<paramref name="Skipped"/>).</summary>
    internal sealed record Row(string Op, string Shapes, string Pass, Comparison? Error, double Threshold, string? Failure, string? Skipped = null)
    {
        public bool Ok => Skipped is not null || Failure is null && Error is { } e && e.MaxRel <= Threshold;
    }

    public static bool Run(Device device, IAnsiConsole console)
    {
        var rows = Compare(device);
        var table = new Table().Title($"ops: CPU against {device}")
            .AddColumns("op", "shapes", "pass", "max abs error", "max rel error", "threshold", "result");
        foreach (var r in rows)
        {
            string result = r.Skipped is { } why ? $"[yellow]skipped[/] {Markup.Escape(why)}"
                : r.Ok ? "[green]pass[/]" : r.Failure is null ? "[red]FAIL[/]" : $"[red]FAIL[/] {Markup.Escape(r.Failure)}";
            table.AddRow(Markup.Escape(r.Op), Markup.Escape(r.Shapes), r.Pass, r.Error is { } e ? $"{e.MaxAbs:E2}" : "", r.Error is { } f ? $"{f.MaxRel:E2}" : "",
                $"{r.Threshold:E0}", result);
        }
        console.Write(table);
        return rows.All(r => r.Ok);
    }

    public static List<Row> Compare(Device device)
    {
        var rows = new List<Row>();
        bool emulated = device.Kind == DeviceKind.Emulated;
        foreach (var c in Cases())
        {
            string shapes = string.Join(" ", c.Inputs.Select((input, i) => $"{(char)('a' + i)}{input.Shape}"));
            if (emulated && c.Library is { } library)
            {
                rows.Add(new Row(c.Op, shapes, "", null, c.Threshold, null, $"runs on {library}, which has no host emulation"));
                continue;
            }
            (double[] Output, double[][] Gradients) cpu, gpu;
            try
            {
                cpu = Evaluate(c, Device.Cpu);
                gpu = Evaluate(c, device);
            }
            catch (Exception e) when (Failure.IsReportable(e))
            {
                rows.Add(new Row(c.Op, shapes, "", null, c.Threshold, Failure.Describe(e)));
                continue;
            }
            rows.Add(new Row(c.Op, shapes, "forward", Comparison.Of(cpu.Output, gpu.Output), c.Threshold, null));
            if (cpu.Gradients.Length == 0) continue;
            var backward = cpu.Gradients.Zip(gpu.Gradients, Comparison.Of).Aggregate((x, y) => x.Worst(y));
            rows.Add(new Row(c.Op, shapes, "backward", backward, c.Threshold, null));
        }
        return rows;
    }

    /// <summary>Runs one case in a disposal scope, which frees everything the case made, including tensors its
    /// backward rule still reads (the running statistics of batch norm in inference).</summary>
    private static (double[] Output, double[][] Gradients) Evaluate(Case c, Device device)
    {
        using var scope = DisposeScope.Enter();
        var generator = new Generator(20_26);
        var inputs = c.Inputs.Select(spec =>
        {
            var host = spec.Labels is { } labels ? Tensors.FromArray(labels, spec.Shape) : Tensors.Uniform(spec.Shape, generator, spec.Low, spec.High);
            var t = Ops.To(host, device);
            t.RequiresGrad = spec.Differentiable && spec.Labels is null;
            return t;
        }).ToArray();
        var output = c.Forward(inputs, device);
        var differentiable = inputs.Where(t => t.RequiresGrad).ToArray();
        double[][] gradients = [];
        if (differentiable.Length > 0 && output.RequiresGrad)
        {
            var gy = Ops.To(Tensors.Normal(output.Shape, new Generator(7)), device);
            gradients = Autograd.Grad([output], differentiable, [gy]).Select(Comparison.Values).ToArray();
        }
        return (Comparison.Values(output), gradients);
    }

    private static IEnumerable<Case> Cases()
    {
        Input X(params int[] shape) => new(new Shape(shape));
        Input Positive(params int[] shape) => new(new Shape(shape), 0.1, 3);
        Input Fixed(params int[] shape) => new(new Shape(shape), Differentiable: false);
        int[] nchw = [2, 5, 9, 11];

        yield return new("Add (broadcast)", Light, [X(4, 8, 5), X(8, 1)], (t, _) => F.Add(t[0], t[1]));
        yield return new("Sub", Light, [X(4, 8, 5), X(4, 8, 5)], (t, _) => F.Sub(t[0], t[1]));
        yield return new("Mul (broadcast)", Light, [X(4, 8, 5), X(5)], (t, _) => F.Mul(t[0], t[1]));
        yield return new("Div", Light, [X(4, 8, 5), Positive(4, 8, 5)], (t, _) => F.Div(t[0], t[1]));
        yield return new("Pow (tensor exponent)", Light, [Positive(6, 7), X(6, 7)], (t, _) => F.Pow(t[0], t[1]));
        yield return new("Exp", Light, [X(nchw)], (t, _) => F.Exp(t[0]));
        yield return new("Log", Light, [Positive(nchw)], (t, _) => F.Log(t[0]));
        yield return new("Sqrt", Light, [Positive(nchw)], (t, _) => F.Sqrt(t[0]));
        yield return new("Pow (scalar exponent)", Light, [Positive(nchw)], (t, _) => F.Pow(t[0], 2.5));
        yield return new("Abs", Light, [X(nchw)], (t, _) => F.Abs(t[0]));
        yield return new("Relu", Light, [X(nchw)], (t, _) => F.Relu(t[0]));
        yield return new("Sigmoid", Light, [X(nchw)], (t, _) => F.Sigmoid(t[0]));
        yield return new("Tanh", Light, [X(nchw)], (t, _) => F.Tanh(t[0]));
        yield return new("Square", Light, [X(nchw)], (t, _) => F.Square(t[0]));
        yield return new("Clamp", Light, [X(nchw)], (t, _) => F.Clamp(t[0], -0.5, 0.75));
        yield return new("MulAdd", Light, [X(nchw)], (t, _) => F.MulAdd(t[0], -1.5, 0.25));
        yield return new("Where", Light, [Fixed(3, 40), X(3, 40), X(3, 40)], (t, _) => F.Where(Ops.Binary(BinaryOp.Greater, t[0], t[1]), t[1], t[2]));
        yield return new("Transpose + Neg (strided)", Light, [X(6, 9, 4)], (t, _) => F.Neg(F.Permute(t[0], 2, 0, 1)));
        yield return new("Sum (axis 1)", Light, [X(nchw)], (t, _) => F.Sum(t[0], [1]));
        yield return new("Mean (all)", Light, [X(8, 300)], (t, _) => F.Mean(t[0]));
        yield return new("Max (axes 2, 3)", Light, [X(nchw)], (t, _) => F.Max(t[0], [2, 3]));
        yield return new("Norm (axis 0)", Light, [X(40, 7)], (t, _) => F.Norm(t[0], [0]));
        yield return new("Softmax (axis 1)", Light, [X(nchw)], (t, _) => F.Softmax(t[0], 1));
        yield return new("LogSoftmax (last axis)", Light, [X(12, 300)], (t, _) => F.LogSoftmax(t[0], -1));
        yield return new("CrossEntropy (ignore -100)", Light,
            [X(2, 5, 6, 7), new(new Shape(2, 6, 7), Labels: Enumerable.Range(0, 84).Select(i => i % 9 == 0 ? -100 : i * 7 % 5).ToArray())],
            (t, _) => F.CrossEntropy(t[0], t[1]));
        yield return new("MaskedL1 (fused)", Light, [X(2, 3, 9, 11), X(2, 3, 9, 11), new(new Shape(2, 1, 9, 11), 0, 1, false)], (t, _) => F.MaskedL1(t[0], t[1], t[2]));
        yield return new("CosineSimilarity (axis 1)", Light, [X(nchw), X(nchw)], (t, _) => F.CosineSimilarity(t[0], t[1]));
        yield return new("GradientGram (K 3, P 300001)", Light, [Fixed(3, 300_001)], (t, _) => Ops.GradientGram(t[0]));
        yield return new("GradientGram (K 9: two passes)", Light, [Fixed(9, 1000)], (t, _) => Ops.GradientGram(t[0]));
        yield return new("GradientCombine", Light, [Fixed(4, 70_001), Fixed(4)], (t, _) => Ops.GradientCombine(t[0], t[1]));
        yield return new("GradDrop (fused, K 3)", Light, [Fixed(3, 2, 300), Fixed(2, 300)], (t, _) => Ops.GradDrop(t[0], t[1], 5, 0, 0.1));
        yield return new("MaxPool2d 3×3 s2 p1", Light, [X(nchw)], (t, _) => F.MaxPool2d(t[0], new Pool2dGeometry(3, 3, 2, 2, 1, 1)));
        yield return new("MaxPool2d tangent (forward mode)", Light, [X(nchw), Fixed(nchw)], (t, _) => Ops.MaxPool2dJvp(t[0], t[1], new Pool2dGeometry(3, 3, 2, 2, 1, 1)));
        yield return new("ClassSum (labels out of range)", Light,
            [X(2, 3, 41), new(new Shape(2, 3, 41), Labels: Enumerable.Range(0, 246).Select(i => i * 5 % 9 - 1).ToArray())],
            (t, _) => F.ClassSum(t[0], t[1], 7));
        yield return new("AvgPool2d 2×2 s2", Light, [X(nchw)], (t, _) => F.AvgPool2d(t[0], new Pool2dGeometry(2, 2, 2, 2)));
        yield return new("UpsampleBilinear2d", Light, [X(nchw)], (t, _) => F.UpsampleBilinear2d(t[0], 20, 17));
        yield return new("BatchNorm2d (training)", Light, [X(4, 6, 5, 5), X(6), X(6)], (t, d) =>
        {
            var mean = Tensors.Zeros(new Shape(6), device: d);
            var var = Tensors.Ones(new Shape(6), device: d);
            return F.BatchNorm2d(t[0], t[1], t[2], mean, var, training: true);
        }, "cuDNN");
        yield return new("BatchNorm2d running statistics", Light, [Fixed(4, 6, 5, 5)], (t, d) =>
        {
            var mean = Tensors.Zeros(new Shape(6), device: d);
            var var = Tensors.Ones(new Shape(6), device: d);
            using (GradMode.NoGrad()) F.BatchNorm2d(t[0], Tensors.Ones(new Shape(6), device: d), Tensors.Zeros(new Shape(6), device: d), mean, var, training: true);
            return Ops.Concat(0, mean, var);
        }, "cuDNN");
        yield return new("BatchNorm2d (inference)", Light, [X(4, 6, 5, 5), X(6), X(6)], (t, d) =>
        {
            var mean = Tensors.Full(new Shape(6), 0.1, device: d);
            var var = Tensors.Full(new Shape(6), 1.5, device: d);
            return F.BatchNorm2d(t[0], t[1], t[2], mean, var, training: false);
        }, "cuDNN");
        yield return new("Matmul [B,M,K]·[K,N]", Heavy, [X(3, 17, 33), X(33, 9)], (t, _) => F.Matmul(t[0], t[1]), "cuBLAS");
        yield return new("Matmul aᵀ·bᵀ (transposed views)", Heavy, [X(33, 17), X(9, 33)], (t, _) => F.Matmul(F.Transpose(t[0], 0, 1), F.Transpose(t[1], 0, 1)), "cuBLAS");
        yield return new("Conv2d 3×3 pad 1 + bias", Heavy, [X(2, 6, 12, 12), X(8, 6, 3, 3), X(8)], (t, _) => F.Conv2d(t[0], t[1], t[2], new Conv2dGeometry(PadH: 1, PadW: 1)), "cuDNN");
        yield return new("Conv2d groups 3, stride 2, dilation 2", Heavy, [X(2, 6, 15, 15), X(6, 2, 3, 3)],
            (t, _) => F.Conv2d(t[0], t[1], null, new Conv2dGeometry(2, 2, 2, 2, 2, 2, 3)), "cuDNN");
        yield return new("Conv2d 1×1", Heavy, [X(2, 8, 7, 7), X(4, 8, 1, 1)], (t, _) => F.Conv2d(t[0], t[1]), "cuDNN");
        // Offsets up to ±3 pixels move many samples partly or wholly outside the image. The whole op runs its GEMMs on
        // cuBLAS; its sampling kernels are compared on their own too, so that the emulated device checks them.
        yield return new("DeformConv2d 3×3 pad 1 + bias", Heavy, [X(2, 6, 9, 11), new(new Shape(2, 18, 9, 11), -3, 3), X(8, 6, 3, 3), X(8)],
            (t, _) => F.DeformConv2d(t[0], t[1], t[2], t[3], new Conv2dGeometry(PadH: 1, PadW: 1)), "cuBLAS");
        var deform = new DeformWindow(3, 3, 2, 2, 1, 1, 2, 2);
        Input DeformOffsets() => new(new Shape(2, 18, 4, 5), -3, 3, false);
        yield return new("DeformIm2Col 3×3 s2 p1 d2", Light, [Fixed(2, 5, 9, 11), DeformOffsets()], (t, _) => Ops.DeformIm2Col(t[0], t[1], deform));
        yield return new("DeformIm2Col input gradient", Light, [Fixed(2, 45, 20), DeformOffsets()],
            (t, _) => Ops.DeformIm2ColBackwardData(t[0], t[1], new Shape(2, 5, 9, 11), deform));
        yield return new("DeformIm2Col offset gradient", Light, [Fixed(2, 45, 20), Fixed(2, 5, 9, 11), DeformOffsets()],
            (t, _) => Ops.DeformIm2ColBackwardOffset(t[0], t[1], t[2], deform));
        yield return new("DeformIm2Col offset tangent (forward mode)", Light, [Fixed(2, 5, 9, 11), DeformOffsets(), Fixed(2, 18, 4, 5)],
            (t, _) => Ops.DeformIm2ColJvpOffset(t[0], t[1], t[2], deform));
        yield return new("Uniform samples", Light, [], (_, d) => Tensors.Uniform(new Shape(1000), new Generator(3), -1, 2, device: d));
        yield return new("Normal samples", Light, [], (_, d) => Tensors.Normal(new Shape(1000), new Generator(4), 0.5, 2, device: d));
        yield return new("Cast Float32 → Int32", Light, [new(new Shape(500), -300, 300, false)], (t, _) => Ops.Cast(t[0], DType.Int32));
        yield return new("Arange", Light, [], (_, d) => Tensors.Arange(-5, 7, 0.125, device: d));
        yield return new("SgdStep (momentum, Nesterov, decay)", Light, [Fixed(1000), Fixed(1000), Fixed(1000)], (t, _) =>
        {
            var param = Ops.Clone(t[0]);
            using var buffer = Ops.Clone(t[2]);
            Ops.SgdStep(param, t[1], buffer, new SgdOptions(0.05, Momentum: 0.9, WeightDecay: 1e-3, Nesterov: true), firstStep: false);
            return param;
        });
        yield return new("AdamStep (AdamW)", Light, [Fixed(1000), Fixed(1000), Fixed(1000), new(new Shape(1000), 0, 0.5, false)], (t, _) =>
        {
            var param = Ops.Clone(t[0]);
            using var m = Ops.Clone(t[2]);
            using var v = Ops.Clone(t[3]);
            Ops.AdamStep(param, t[1], m, v, new AdamOptions(1e-2, WeightDecay: 0.01, Decoupled: true), step: 3);
            return param;
        });
    }
}
