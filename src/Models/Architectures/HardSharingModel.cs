namespace NativeMtl.Models;

/// <summary>
/// Hard parameter sharing with one decoder per task (the default architecture, "hps"; seed 004's
/// multi-decoder): a shared encoder whose features are z, a head per task on z, and optional auxiliary
/// modules and deep-supervision heads on the encoder's stages. Members "encoder", "heads.&lt;task&gt;",
/// "auxiliary.&lt;task&gt;", "deep_supervision.&lt;task&gt;".
/// </summary>
public sealed class HardSharingModel : MtlModel
{
    private readonly ModuleDict<Layer> _heads;

    public HardSharingModel(ArchitectureOptions options) : base("hps", options)
    {
        Encoder = AddModule("encoder", EncoderRegistry.Create(options.Encoder, options.EncoderOptions, Context));
        _heads = AddModule("heads", new ModuleDict<Layer>());
        foreach (var task in Tasks)
            _heads.Add(task.Name, HeadRegistry.Create(options.Head,
                options.HeadOptions with { InChannels = Encoder.OutChannels, OutChannels = task.Channels }, Context));
        if (options.Auxiliary is { } auxiliary)
            Auxiliary = AddModule("auxiliary", new AuxiliaryModules(auxiliary, Tasks, Encoder, Context));
        if (options.DeepSupervision is { } deepSupervision)
            DeepSupervision = AddModule("deep_supervision", new DeepSupervisionHeads(deepSupervision, Tasks, Encoder, Context));
    }

    public Encoder Encoder { get; }

    public Layer Head(string task) => _heads[task];

    public AuxiliaryModules? Auxiliary { get; }

    public DeepSupervisionHeads? DeepSupervision { get; }

    public override int InChannels => Encoder.InChannels;

    public override IReadOnlyList<Parameter> LastSharedLayer => [Encoder.LastLayer.Weight];

    protected override MtlOutput ForwardCore(Tensor x, IReadOnlySet<string> tasks)
    {
        int height = x.Shape[2], width = x.Shape[3];
        var encoded = Encoder.Forward(x);
        var z = encoded.Features;
        var predictions = Tasks.Where(t => tasks.Contains(t.Name))
            .ToDictionary(t => t.Name, t => (Func<Tensor>)(() => Finish(t, _heads[t.Name].Forward(z), height, width)));
        return new MtlOutput(z, predictions, AuxiliaryPredictions(Auxiliary, DeepSupervision, encoded, height, width, tasks));
    }

    protected override IEnumerable<(string Group, string[] Prefixes)> GroupLayout() =>
    [
        ("encoder", ["encoder."]),
        .. Tasks.Select(t => ($"heads.{t.Name}", new[] { $"heads.{t.Name}." })),
        .. AuxiliaryLayout(Auxiliary, DeepSupervision),
    ];
}
