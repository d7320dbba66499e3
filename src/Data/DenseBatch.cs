using System.Runtime.InteropServices;

namespace NativeMtl.Data;

/// <summary>
/// A batch of N samples as tensors on one device: <see cref="Image"/> [N,3,H,W] Float32, <see cref="Labels"/>
/// [N,H,W] Int32, <see cref="Depth"/> [N,1,H,W], <see cref="Normals"/> [N,3,H,W], and for the synthetic scenes
/// <see cref="Curvature"/> [N,2,H,W], <see cref="Instances"/> [N,H,W] Int32 and <see cref="ObjectCoordinates"/>
/// [N,3,H,W] (null for datasets without them), with each sample's host-side info (index, camera, object poses).
/// Disposing the batch disposes its tensors. The tensors are created on the thread that takes the batch, so a
/// disposal scope open there owns them too.
/// </summary>
public sealed class DenseBatch : IDisposable
{
    private DenseBatch(Tensor image, Tensor labels, Tensor depth, Tensor normals, Tensor? curvature, Tensor? instances,
        Tensor? objectCoordinates, IReadOnlyList<SampleInfo> samples)
    {
        Image = image;
        Labels = labels;
        Depth = depth;
        Normals = normals;
        Curvature = curvature;
        Instances = instances;
        ObjectCoordinates = objectCoordinates;
        Samples = samples;
    }

    public Tensor Image { get; }
    public Tensor Labels { get; }
    public Tensor Depth { get; }
    public Tensor Normals { get; }
    public Tensor? Curvature { get; }
    public Tensor? Instances { get; }
    public Tensor? ObjectCoordinates { get; }
    public IReadOnlyList<SampleInfo> Samples { get; }
    public int Count => Samples.Count;

    /// <summary>Uploads the first <paramref name="count"/> samples of host buffers laid out sample after sample.</summary>
    internal static DenseBatch Upload(HostBatch host, int count, IReadOnlyList<SampleInfo> samples, Device device)
    {
        int h = host.Height, w = host.Width, pixels = h * w;
        var image = Upload<float>(host.Image.AsSpan(0, count * 3 * pixels), new Shape(count, 3, h, w), device);
        var labels = Upload<int>(host.Labels.AsSpan(0, count * pixels), new Shape(count, h, w), device);
        var depth = Upload<float>(host.Depth.AsSpan(0, count * pixels), new Shape(count, 1, h, w), device);
        var normals = Upload<float>(host.Normals.AsSpan(0, count * 3 * pixels), new Shape(count, 3, h, w), device);
        var curvature = host.Curvature.Length > 0 ? Upload<float>(host.Curvature.AsSpan(0, count * 2 * pixels), new Shape(count, 2, h, w), device) : null;
        var instances = host.Instances.Length > 0 ? Upload<int>(host.Instances.AsSpan(0, count * pixels), new Shape(count, h, w), device) : null;
        var coordinates = host.ObjectCoordinates.Length > 0
            ? Upload<float>(host.ObjectCoordinates.AsSpan(0, count * 3 * pixels), new Shape(count, 3, h, w), device)
            : null;
        return new DenseBatch(image, labels, depth, normals, curvature, instances, coordinates, samples);
    }

    private static Tensor Upload<T>(ReadOnlySpan<T> data, Shape shape, Device device) where T : unmanaged
    {
        var tensor = Tensors.Empty(shape, DTypeExtensions.Of<T>(), device);
        tensor.MemoryRole = MemoryRole.Data;
        tensor.Backend.CopyFromHost(MemoryMarshal.AsBytes(data), tensor.Ref.Buffer, 0);
        return tensor;
    }

    private IEnumerable<Tensor> All =>
        new[] { Image, Labels, Depth, Normals, Curvature, Instances, ObjectCoordinates }.OfType<Tensor>();

    /// <summary>Takes the batch's tensors out of any disposal scope: the batch (its Dispose) owns them.</summary>
    public DenseBatch DetachFromScope()
    {
        foreach (var t in All) t.DetachFromScope();
        return this;
    }

    public void Dispose()
    {
        foreach (var t in All) t.Dispose();
    }
}

/// <summary>Host buffers for up to <see cref="Capacity"/> samples, each field sample after sample.</summary>
internal sealed class HostBatch
{
    public HostBatch(int capacity, int height, int width, DenseFields fields)
    {
        int pixels = height * width;
        Capacity = capacity;
        Height = height;
        Width = width;
        Image = new float[capacity * 3 * pixels];
        Labels = new int[capacity * pixels];
        Depth = new float[capacity * pixels];
        Normals = new float[capacity * 3 * pixels];
        Curvature = fields.HasFlag(DenseFields.Curvature) ? new float[capacity * 2 * pixels] : [];
        Instances = fields.HasFlag(DenseFields.Instances) ? new int[capacity * pixels] : [];
        ObjectCoordinates = fields.HasFlag(DenseFields.ObjectCoordinates) ? new float[capacity * 3 * pixels] : [];
    }

    public int Capacity { get; }
    public int Height { get; }
    public int Width { get; }
    public float[] Image { get; }
    public int[] Labels { get; }
    public float[] Depth { get; }
    public float[] Normals { get; }
    public float[] Curvature { get; }
    public int[] Instances { get; }
    public float[] ObjectCoordinates { get; }

    public SampleView View(int slot)
    {
        int pixels = Height * Width;
        return new SampleView
        {
            Height = Height,
            Width = Width,
            Image = Image.AsSpan(slot * 3 * pixels, 3 * pixels),
            Labels = Labels.AsSpan(slot * pixels, pixels),
            Depth = Depth.AsSpan(slot * pixels, pixels),
            Normals = Normals.AsSpan(slot * 3 * pixels, 3 * pixels),
            Curvature = Curvature.Length > 0 ? Curvature.AsSpan(slot * 2 * pixels, 2 * pixels) : [],
            Instances = Instances.Length > 0 ? Instances.AsSpan(slot * pixels, pixels) : [],
            ObjectCoordinates = ObjectCoordinates.Length > 0 ? ObjectCoordinates.AsSpan(slot * 3 * pixels, 3 * pixels) : [],
        };
    }
}
