namespace NativeMtl.Models;

/// <summary>
/// torchvision's ResNet without avgpool and fc: conv1 → bn1 → relu → maxpool (output stride 4), then the
/// stages layer1, layer2, … The first stage keeps the resolution; each later stage halves it until the
/// requested output stride is reached, and from then on replaces its stride by dilation, as torchvision's
/// replace_stride_with_dilation does: the first block of a dilated stage still uses the previous dilation
/// (torchvision's previous_dilation), the others the new one. Member names are torchvision's, so
/// <see cref="Module.StateDict"/> gives torchvision's state_dict keys, without fc and without batch norm's
/// int64 num_batches_tracked: it only matters for momentum = None, and PyTorch's load_state_dict fills it in
/// with 0 for a state dict that carries no version metadata, such as one read from safetensors.
/// </summary>
public sealed class ResNet : Encoder
{
    private readonly Conv2d _conv1;
    private readonly BatchNorm2d _bn1;
    private readonly MaxPool2d _maxpool;
    private readonly Sequential[] _layers;
    private readonly int[] _stageChannels;
    private readonly int[] _stageStrides;

    /// <param name="stemKernel">7 (torchvision's 7×7 stride-2 convolution) or 3 (a cheaper 3×3 one).</param>
    public ResNet(string name, bool bottleneck, int stemKernel, IReadOnlyList<int> widths, IReadOnlyList<int> blocks,
        int inChannels, int outputStride, BuildContext context) : base(name)
    {
        if (widths.Count == 0 || widths.Count != blocks.Count)
            throw new ArgumentException($"{name}: {widths.Count} stage widths but {blocks.Count} block counts");
        if (widths.Any(w => w < 1) || blocks.Any(b => b < 1))
            throw new ArgumentException($"{name}: widths [{string.Join(", ", widths)}] and blocks [{string.Join(", ", blocks)}] must be positive");
        var allowed = Enumerable.Range(0, widths.Count).Select(i => 4 << i).ToArray();
        if (!allowed.Contains(outputStride))
            throw new ArgumentException($"{name}: output stride {outputStride} is not one of {string.Join(", ", allowed)}");
        if (inChannels < 1) throw new ArgumentException($"{name}: {inChannels} input channels");
        InChannels = inChannels;

        int stem = widths[0];
        _conv1 = AddModule("conv1", context.KaimingConv(inChannels, stem, stemKernel, 2, stemKernel / 2));
        _bn1 = AddModule("bn1", context.BatchNorm(stem));
        AddModule("relu", new ReLU());
        _maxpool = AddModule("maxpool", new MaxPool2d(3, 2, 1));

        int channels = stem, stride = 4, dilation = 1;
        _layers = new Sequential[widths.Count];
        _stageChannels = new int[widths.Count];
        _stageStrides = new int[widths.Count];
        for (int i = 0; i < widths.Count; i++)
        {
            int blockStride = i == 0 ? 1 : 2, previousDilation = dilation;
            if (blockStride == 2 && stride == outputStride)
            {
                dilation *= blockStride;
                blockStride = 1;
            }
            stride *= blockStride;
            var layer = new Sequential();
            for (int b = 0; b < blocks[i]; b++)
            {
                ResidualBlock block = bottleneck
                    ? new Bottleneck(channels, widths[i], b == 0 ? blockStride : 1, b == 0 ? previousDilation : dilation, context)
                    : new BasicBlock(channels, widths[i], b == 0 ? blockStride : 1, b == 0 ? previousDilation : dilation, context);
                layer.Add(block);
                channels = widths[i] * block.Expansion;
            }
            _layers[i] = AddModule($"layer{i + 1}", layer);
            _stageChannels[i] = channels;
            _stageStrides[i] = stride;
        }
    }

    /// <summary>torchvision's resnet50(replace_stride_with_dilation = [False, True, True]) at output stride 8
    /// (16 and 32 dilate fewer stages): Bottleneck blocks [3, 4, 6, 3], planes [64, 128, 256, 512], 2048 channels out.</summary>
    public static ResNet ResNet50(EncoderOptions options, BuildContext context)
    {
        if (options.Widths is not null || options.Blocks is not null)
            throw new ArgumentException("resnet50: widths and blocks are fixed; use resnet_small for other ones");
        return new ResNet("resnet50", bottleneck: true, 7, [64, 128, 256, 512], [3, 4, 6, 3], options.InChannels, options.OutputStride, context);
    }

    /// <summary>A small ResNet for CPU runs: a 3×3 stem, BasicBlock stages of widths [16, 32, 64] with 2 blocks each
    /// (configurable), output stride 8. On a 96×128 input its features are 64 × 12×16.</summary>
    public static ResNet Small(EncoderOptions options, BuildContext context) =>
        new("resnet_small", bottleneck: false, 3, options.Widths ?? [16, 32, 64], options.Blocks ?? [2, 2, 2],
            options.InChannels, options.OutputStride, context);

    public override int InChannels { get; }

    public override IReadOnlyList<int> StageChannels => _stageChannels;

    public override IReadOnlyList<int> StageStrides => _stageStrides;

    public override Conv2d LastLayer =>
        _layers.LastOrDefault(l => l.Layers.Count > 0) is { } stage ? ((ResidualBlock)stage.Layers[^1]).LastConv : _conv1;

    /// <summary>The stages, named layer1, layer2, … as in torchvision.</summary>
    public IReadOnlyList<Sequential> Layers => _layers;

    protected override Tensor StemCore(Tensor x) => DisposeScope.Chain(x, _conv1.Forward, _bn1.Forward, F.Relu, _maxpool.Forward);

    protected override Tensor StageCore(int index, Tensor x) => _layers[index].Forward(x);

    /// <summary>Each residual block of a stage is a block (seed 001 taps every one).</summary>
    public override int BlockCount(int stage) => _layers[stage].Layers.Count;

    protected override Tensor BlockCore(int stage, int block, Tensor x) => _layers[stage].Layers[block].Forward(x);
}
