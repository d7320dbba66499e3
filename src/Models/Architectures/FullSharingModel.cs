namespace NativeMtl.Models;

/// <summary>
/// Full sharing (seed 004, "full_sharing"): one encoder and one decoder for all tasks. The decoder's last
/// 1×1 convolution emits every task's channels, in task order, and the output is split per task. z is the
/// encoder's features; the decoder after it is shared too, so its group is "decoder" rather than per-task
/// heads. Members "encoder", "decoder", "auxiliary.&lt;task&gt;", "deep_supervision.&lt;task&gt;".
/// </summary>
public sealed class FullSharingModel : MtlModel
{
    public FullSharingModel(ArchitectureOptions options) : base("full_sharing", options)
    {
        Encoder = AddModule("encoder", EncoderRegistry.Create(options.Encoder, options.EncoderOptions, Context));
        Decoder = AddModule("decoder", HeadRegistry.Create(options.Head,
            options.HeadOptions with { InChannels = Encoder.OutChannels, OutChannels = Tasks.Sum(t => t.Channels) }, Context));
        if (options.Auxiliary is { } auxiliary)
            Auxiliary = AddModule("auxiliary", new AuxiliaryModules(auxiliary, Tasks, Encoder, Context));
        if (options.DeepSupervision is { } deepSupervision)
            DeepSupervision = AddModule("deep_supervision", new DeepSupervisionHeads(deepSupervision, Tasks, Encoder, Context));
    }

    public Encoder Encoder { get; }

    public Layer Decoder { get; }

    public AuxiliaryModules? Auxiliary { get; }

    public DeepSupervisionHeads? DeepSupervision { get; }

    public override int InChannels => Encoder.InChannels;

    public override IReadOnlyList<Parameter> LastSharedLayer => [Encoder.LastLayer.Weight];

    /// <summary>The decoder is shared, so every task's prediction is made; those not asked for are dropped.</summary>
    protected override MtlOutput ForwardCore(Tensor x, IReadOnlySet<string> tasks)
    {
        int height = x.Shape[2], width = x.Shape[3];
        var encoded = Encoder.Forward(x);
        var z = encoded.Features;
        var predictions = new Dictionary<string, Tensor>();
        using (var all = DisposeScope.Chain(z, Decoder.Forward, d => F.UpsampleBilinear2d(d, height, width)))
        {
            int start = 0;
            foreach (var task in Tasks)
            {
                if (tasks.Contains(task.Name)) predictions[task.Name] = Finish(task, F.Slice(all, 1, start, start + task.Channels), height, width);
                start += task.Channels;
            }
        }
        return new MtlOutput(z, predictions, AuxiliaryPredictions(Auxiliary, DeepSupervision, encoded, height, width, tasks));
    }

    protected override IEnumerable<(string Group, string[] Prefixes)> GroupLayout() =>
        [("encoder", ["encoder."]), ("decoder", ["decoder."]), .. AuxiliaryLayout(Auxiliary, DeepSupervision)];
}
