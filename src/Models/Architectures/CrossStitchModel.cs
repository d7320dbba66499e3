using NativeMtl.Raw;

namespace NativeMtl.Models;

/// <summary>
/// Multi-column network with cross-stitch units (Misra et al. 2016; seed 004's multi-column architecture,
/// "cross_stitch"): one encoder column per task, all built from the same config, and after every stage a
/// <see cref="CrossStitchUnit"/> that mixes the columns' activations. z is the columns' final (mixed)
/// features concatenated along the channels, in task order; each task's head reads its own column's slice
/// of z. The columns and units sit before z and form the "encoder" group. Members "columns.&lt;task&gt;",
/// "stitches.&lt;stage&gt;", "heads.&lt;task&gt;".
/// </summary>
public sealed class CrossStitchModel : MtlModel
{
    private readonly ModuleDict<Encoder> _columns;
    private readonly ModuleList<CrossStitchUnit> _stitches;
    private readonly ModuleDict<Layer> _heads;

    public CrossStitchModel(ArchitectureOptions options) : base("cross_stitch", options)
    {
        if (options.Auxiliary is not null)
            throw new ArgumentException("cross_stitch: auxiliary modules need one shared encoder; use hps or full_sharing");
        if (options.DeepSupervision is not null)
            throw new ArgumentException("cross_stitch: deep supervision needs one shared encoder; use hps or full_sharing");
        _columns = AddModule("columns", new ModuleDict<Encoder>());
        foreach (var task in Tasks) _columns.Add(task.Name, EncoderRegistry.Create(options.Encoder, options.EncoderOptions, Context));
        var first = _columns[Tasks[0].Name];
        _stitches = AddModule("stitches", new ModuleList<CrossStitchUnit>(
            Enumerable.Range(0, first.StageCount).Select(_ => new CrossStitchUnit(Tasks.Count, options.CrossStitchSelfWeight, Context))));
        _heads = AddModule("heads", new ModuleDict<Layer>());
        foreach (var task in Tasks)
            _heads.Add(task.Name, HeadRegistry.Create(options.Head,
                options.HeadOptions with { InChannels = first.OutChannels, OutChannels = task.Channels }, Context));
    }

    public Encoder Column(string task) => _columns[task];

    /// <summary>The unit after each stage.</summary>
    public IReadOnlyList<CrossStitchUnit> Stitches => _stitches;

    public Layer Head(string task) => _heads[task];

    public override int InChannels => _columns[Tasks[0].Name].InChannels;

    /// <summary>Every column's last convolution: together they make the features the last unit mixes into z.</summary>
    public override IReadOnlyList<Parameter> LastSharedLayer => Tasks.Select(t => _columns[t.Name].LastLayer.Weight).ToList();

    protected override MtlOutput ForwardCore(Tensor x, IReadOnlySet<string> tasks)
    {
        int height = x.Shape[2], width = x.Shape[3];
        var columns = Tasks.Select(t => _columns[t.Name]).ToArray();
        IReadOnlyList<Tensor> h = columns.Select(c => c.Stem(x)).ToArray();
        for (int s = 0; s < _stitches.Count; s++)
        {
            var stage = columns.Select((c, k) => c.Stage(s, h[k])).ToArray();
            var mixed = _stitches[s].Forward(stage);
            foreach (var t in h.Concat(stage)) t.Dispose();
            h = mixed;
        }
        var z = F.Concat(1, [.. h]);
        foreach (var t in h) t.Dispose();
        int channels = columns[0].OutChannels;
        var predictions = Tasks.Select((t, k) => (t, k)).Where(p => tasks.Contains(p.t.Name)).ToDictionary(
            p => p.t.Name,
            p => (Func<Tensor>)(() => Finish(p.t, _heads[p.t.Name].Forward(F.Slice(z, 1, p.k * channels, (p.k + 1) * channels)), height, width)));
        return new MtlOutput(z, predictions);
    }

    protected override IEnumerable<(string Group, string[] Prefixes)> GroupLayout() =>
    [
        ("encoder", ["columns.", "stitches."]),
        .. Tasks.Select(t => ($"heads.{t.Name}", new[] { $"heads.{t.Name}." })),
    ];
}

/// <summary>
/// A cross-stitch unit for K columns: column i's output is Σ_j α_ij · x_j over the columns' same-stage
/// activations, with α a learned K×K matrix ("weight"). α starts near the identity, each column giving
/// itself <c>selfWeight</c> and the others (1 − selfWeight)/(K − 1), so every row sums to 1 and training
/// starts from nearly separate columns.
/// </summary>
public sealed class CrossStitchUnit : Module
{
    public CrossStitchUnit(int columns, double selfWeight, BuildContext context)
    {
        if (columns < 1) throw new ArgumentException($"cross-stitch unit: {columns} columns");
        if (selfWeight is < 0 or > 1) throw new ArgumentException($"cross-stitch unit: self weight {selfWeight} is not in [0, 1]");
        double other = columns == 1 ? 0 : (1 - selfWeight) / (columns - 1);
        var alpha = new double[columns * columns];
        for (int i = 0; i < columns; i++)
            for (int j = 0; j < columns; j++)
                alpha[i * columns + j] = columns == 1 ? 1 : i == j ? selfWeight : other;
        using var initial = Tensors.FromArray(alpha, new Shape(columns, columns), context.Device);
        Weight = AddParameter("weight", Ops.Cast(initial, context.DType));
        Columns = columns;
    }

    public int Columns { get; }

    public Parameter Weight { get; }

    public IReadOnlyList<Tensor> Forward(IReadOnlyList<Tensor> xs)
    {
        if (xs.Count != Columns || xs.Any(x => x.Shape != xs[0].Shape))
            throw new ShapeException("cross-stitch unit", $"needs {Columns} inputs of one shape, got [{string.Join(", ", xs.Select(x => x.Shape))}]");
        // K² scaled adds rather than one [K, K]·[K, N·C·H·W] product: K is a handful of tasks, so both are
        // bound by memory traffic, and this way needs no GEMM and leaves each α_ij's gradient a plain sum.
        var alpha = Weight.Value;
        return Enumerable.Range(0, Columns).Select(i => DisposeScope.Run(() => Enumerable.Range(0, Columns)
            .Select(j => F.Mul(xs[j], F.Reshape(F.Slice(F.Slice(alpha, 0, i, i + 1), 1, j, j + 1), 1)))
            .Aggregate(F.Add))).ToArray();
    }
}
