namespace NativeMtl.Models;

/// <summary>
/// torchvision's DeepLabHead (torchvision.models.segmentation.deeplabv3), the head Auto-λ and LibMTL put on
/// a dilated ResNet-50 for NYUv2: ASPP, then 3×3 conv + BN + ReLU, then a 1×1 conv to the outputs. Children
/// are named "0" (ASPP) … "4" as in torchvision's nn.Sequential, so the keys match
/// ("0.convs.0.0.weight", "0.project.0.weight", "4.bias"). Layers keep PyTorch's default initialization,
/// as torchvision's head does.
/// </summary>
public sealed class DeepLabHead(HeadOptions options, BuildContext context) : Sequential(Build(options, context))
{
    public Aspp Aspp => (Aspp)Layers[0];

    private static Layer[] Build(HeadOptions options, BuildContext context)
    {
        options.Check("aspp");
        int hidden = options.HiddenChannels ?? 256;
        return
        [
            new Aspp(options.InChannels, options.AtrousRates, hidden, options.Dropout, context),
            context.Conv(hidden, hidden, 3, padding: 1),
            context.BatchNorm(hidden),
            new ReLU(),
            context.Conv(hidden, options.OutChannels, 1, bias: true),
        ];
    }
}

/// <summary>
/// Atrous spatial pyramid pooling (torchvision's ASPP): in parallel a 1×1 branch, one dilated 3×3 branch per
/// rate and an image-pooling branch, each conv + BN + ReLU to <c>channels</c>; concatenated, then projected by
/// 1×1 conv + BN + ReLU + dropout. Members "convs" (the branches, in that order) and "project".
/// </summary>
public sealed class Aspp : Layer
{
    private readonly ModuleList<Layer> _convs;
    private readonly Sequential _project;

    public Aspp(int inChannels, IReadOnlyList<int> rates, int channels, double dropout, BuildContext context)
    {
        if (rates.Count == 0 || rates.Any(r => r < 1))
            throw new ArgumentException($"aspp head: atrous rates [{string.Join(", ", rates)}] must be positive and at least one");
        var branches = new List<Layer> { new Sequential(context.Conv(inChannels, channels, 1), context.BatchNorm(channels), new ReLU()) };
        foreach (var rate in rates)
            branches.Add(new Sequential(context.Conv(inChannels, channels, 3, padding: rate, dilation: rate), context.BatchNorm(channels), new ReLU()));
        branches.Add(new AsppPooling(inChannels, channels, context));
        _convs = AddModule("convs", new ModuleList<Layer>(branches));
        _project = AddModule("project", new Sequential(
            context.Conv(branches.Count * channels, channels, 1),
            context.BatchNorm(channels),
            new ReLU(),
            new Dropout(dropout, context.Generator)));
    }

    /// <summary>The branches: 1×1, one per rate, image pooling.</summary>
    public IReadOnlyList<Layer> Branches => _convs;

    /// <summary>The branches' handles go once concatenated (their ReLUs keep what they saved), before the projection runs.</summary>
    protected override Tensor ForwardCore(Tensor x)
    {
        var branches = _convs.Select(c => c.Forward(x)).ToArray();
        var joined = F.Concat(1, branches);
        foreach (var b in branches) b.Dispose();
        return _project.Forward(joined);
    }
}

/// <summary>ASPP's image-level branch (torchvision's ASPPPooling): global average pool → 1×1 conv → BN → ReLU,
/// then bilinear back to the input's size, so every position sees the whole image. Children "0" … "3".</summary>
public sealed class AsppPooling(int inChannels, int channels, BuildContext context)
    : Sequential(new GlobalAvgPool2d(), context.Conv(inChannels, channels, 1), context.BatchNorm(channels), new ReLU())
{
    protected override Tensor ForwardCore(Tensor x) => F.UpsampleBilinear2d(base.ForwardCore(x), x.Shape[2], x.Shape[3]);
}
