using System.Globalization;

namespace NativeMtl.Models;

/// <summary>Seed 001's adaptor operations (§3.3, after Nekrasov et al. 2019), in the paper's order: the order is the
/// controller's token for each.</summary>
public enum AdaptorOp
{
    SeparableConv3x3,
    Conv1x1,
    SeparableConv3x3Dilation3,
    SeparableConv3x3Dilation6,
    Skip,
    Deformable3x3,
}

/// <summary>The adaptor operations' config names.</summary>
public static class AdaptorOps
{
    private static readonly string[] Names = ["sep3x3", "conv1x1", "sep3x3_d3", "sep3x3_d6", "skip", "deform3x3"];

    public static IReadOnlyList<string> All => Names;

    public static string Name(AdaptorOp op) => Names[(int)op];

    /// <summary>Convolutions of <paramref name="width"/> output channels followed by BN and ReLU: every adaptor's form
    /// but skip's.</summary>
    public static Sequential Normalised(IEnumerable<Layer> convs, int width, BuildContext context) =>
        new([.. convs, context.BatchNorm(width), new ReLU()]);

    public static bool TryParse(string name, out AdaptorOp op)
    {
        int i = Array.IndexOf(Names, name);
        op = (AdaptorOp)Math.Max(i, 0);
        return i >= 0;
    }

    /// <summary>
    /// The operation mapping <paramref name="inChannels"/> to <paramref name="width"/> channels at the input's
    /// resolution. Every convolution is followed by BN and ReLU, as the basic adaptor (1×1 conv, BN, ReLU) is; a
    /// separable convolution is a depthwise k×k (dilated, padded to keep the size) then a pointwise 1×1. Skip is the
    /// identity when the input already has the width, else a 1×1 projection without BN or ReLU (ResNet's projection
    /// shortcut): a tap has its stage's channels, so an identity could not be aggregated with the other adaptor.
    /// </summary>
    public static Layer Create(AdaptorOp op, int inChannels, int width, BuildContext context)
    {
        Sequential Normalised(params Layer[] convs) => AdaptorOps.Normalised(convs, width, context);
        Layer Separable(int dilation) => Normalised(
            new Conv2d(inChannels, inChannels, 3, context.Generator, padding: dilation, dilation: dilation, groups: inChannels, bias: false, dtype: context.DType, device: context.Device),
            context.Conv(inChannels, width, 1));
        return op switch
        {
            AdaptorOp.SeparableConv3x3 => Separable(1),
            AdaptorOp.Conv1x1 => Normalised(context.Conv(inChannels, width, 1)),
            AdaptorOp.SeparableConv3x3Dilation3 => Separable(3),
            AdaptorOp.SeparableConv3x3Dilation6 => Separable(6),
            AdaptorOp.Skip => inChannels == width ? new Sequential() : new Sequential(context.Conv(inChannels, width, 1)),
            AdaptorOp.Deformable3x3 => Normalised(new DeformableConv2d(inChannels, width, 3, context.Generator, padding: 1, bias: false, dtype: context.DType, device: context.Device)),
            _ => throw new ArgumentOutOfRangeException(nameof(op), op, "not an adaptor operation"),
        };
    }
}

/// <summary>A node of <c>loc</c> a cell reads: one of the encoder's taps (by its index among the taps), or the output
/// of an earlier cell (a task's cell by its index within that task). Written "3" and "seg.0" in configs.</summary>
public abstract record CellInput
{
    public static CellInput Parse(string text)
    {
        if (int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out int tap)) return new TapInput(tap);
        int dot = text.LastIndexOf('.');
        if (dot > 0 && int.TryParse(text.AsSpan(dot + 1), NumberStyles.None, CultureInfo.InvariantCulture, out int cell))
            return new CellOutputInput(text[..dot], cell);
        throw new FormatException($"'{text}' is neither a tap (0, 1, …) nor a cell (task.N, such as seg.0)");
    }
}

public sealed record TapInput(int Index) : CellInput
{
    public override string ToString() => Index.ToString(CultureInfo.InvariantCulture);
}

public sealed record CellOutputInput(string Task, int Cell) : CellInput
{
    public override string ToString() => $"{Task}.{Cell.ToString(CultureInfo.InvariantCulture)}";
}

/// <summary>One auxiliary cell (seed 001 Fig. 2c): two inputs from <c>loc</c>, an adaptor operation on each, and the
/// aggregator that joins them; the five choices the controller makes for it.</summary>
public sealed record AuxiliaryCellSpec(CellInput First, CellInput Second, AdaptorOp FirstOp, AdaptorOp SecondOp, AggregatorKind Aggregator)
{
    public override string ToString() =>
        $"{{inputs: [{First}, {Second}], ops: [{AdaptorOps.Name(FirstOp)}, {AdaptorOps.Name(SecondOp)}], aggregator: {Aggregator.ToString().ToLowerInvariant()}}}";
}

/// <summary>
/// A cell as a module: each input through its adaptor, resized bilinearly to the encoder features' size (where every
/// cell's output lives, whatever the resolution of the taps it reads), then summed (<see cref="Width"/> channels) or
/// concatenated (twice that). Members "first" and "second".
/// </summary>
public sealed class AuxiliaryCell : Module
{
    private readonly Layer _first, _second;

    public AuxiliaryCell(AuxiliaryCellSpec spec, int firstChannels, int secondChannels, int width, BuildContext context)
    {
        Spec = spec;
        Width = width;
        _first = AddModule("first", AdaptorOps.Create(spec.FirstOp, firstChannels, width, context));
        _second = AddModule("second", AdaptorOps.Create(spec.SecondOp, secondChannels, width, context));
    }

    public AuxiliaryCellSpec Spec { get; }

    public int Width { get; }

    public int OutChannels => Spec.Aggregator == AggregatorKind.Sum ? Width : 2 * Width;

    /// <summary>The cell's output among <paramref name="nodes"/>, from its two inputs there.</summary>
    internal Tensor Forward(AuxiliaryCellGraph.Nodes nodes) => DisposeScope.Run(() =>
    {
        var a = nodes.Resized(_first.Forward(nodes.Node(Spec.First)));
        var b = nodes.Resized(_second.Forward(nodes.Node(Spec.Second)));
        return Spec.Aggregator == AggregatorKind.Sum ? F.Add(a, b) : F.Concat(1, [a, b]);
    });
}
