using NativeMtl.Data.Synthetic;

namespace NativeMtl.Data;

/// <summary>Which per-pixel fields a dataset provides.</summary>
[Flags]
public enum DenseFields
{
    None = 0,
    Image = 1,
    Labels = 2,
    Depth = 4,
    Normals = 8,
    Curvature = 16,
    Instances = 32,
    ObjectCoordinates = 64,

    /// <summary>What the MTAN-format datasets (NYUv2, CityScapes) hold.</summary>
    Mtan = Image | Labels | Depth | Normals,

    /// <summary>What the synthetic scenes hold.</summary>
    All = Mtan | Curvature | Instances | ObjectCoordinates,
}

/// <summary>Pinhole intrinsics in pixels: u = Fx·x/z + Cx, v = Fy·y/z + Cy, with pixel (u, v)'s centre at
/// (u + 0.5, v + 0.5).</summary>
public readonly record struct CameraIntrinsics(double Fx, double Fy, double Cx, double Cy);

/// <summary>An object's pose in the camera frame: a point p in the object's frame is at
/// <c>Rotation·p + Translation</c> in the camera frame (metres; x right, y down, z forward).</summary>
public sealed record ObjectPose(int InstanceId, int ClassId, Mat3 Rotation, Vec3 Translation, double BoundingRadius, int VisiblePixels);

/// <summary>What a sample holds besides its pixels: the dataset index, and for synthetic scenes the camera
/// intrinsics and the objects' poses (empty for datasets without them).</summary>
public sealed record SampleInfo(long Index, CameraIntrinsics? Camera, IReadOnlyList<ObjectPose> Objects);

/// <summary>Where a dataset writes one sample: channel-first planes of <see cref="Height"/>×<see cref="Width"/>
/// pixels, row-major. Fields the dataset does not provide are empty spans.</summary>
public readonly ref struct SampleView
{
    public int Height { get; init; }
    public int Width { get; init; }
    /// <summary>3 planes: R, G, B in [0, 1].</summary>
    public Span<float> Image { get; init; }
    /// <summary>Class per pixel; −1 where the label is unknown.</summary>
    public Span<int> Labels { get; init; }
    /// <summary>Metres; 0 where unknown.</summary>
    public Span<float> Depth { get; init; }
    /// <summary>3 planes: unit normals in the camera frame; all zero where unknown.</summary>
    public Span<float> Normals { get; init; }
    /// <summary>2 planes: k1 ≥ k2 (1/m).</summary>
    public Span<float> Curvature { get; init; }
    /// <summary>0 for the room, 1..K for objects.</summary>
    public Span<int> Instances { get; init; }
    /// <summary>3 planes: the surface point in its object's frame (metres); zero for the room.</summary>
    public Span<float> ObjectCoordinates { get; init; }
}

/// <summary>One sample in host memory, laid out as <see cref="SampleView"/> describes.</summary>
public sealed class DenseSample
{
    public DenseSample(int height, int width, DenseFields fields)
    {
        if (height <= 0 || width <= 0) throw new ArgumentException($"a sample needs a positive size, not {height}×{width}");
        int pixels = height * width;
        Height = height;
        Width = width;
        Fields = fields;
        Image = fields.HasFlag(DenseFields.Image) ? new float[3 * pixels] : [];
        Labels = fields.HasFlag(DenseFields.Labels) ? new int[pixels] : [];
        Depth = fields.HasFlag(DenseFields.Depth) ? new float[pixels] : [];
        Normals = fields.HasFlag(DenseFields.Normals) ? new float[3 * pixels] : [];
        Curvature = fields.HasFlag(DenseFields.Curvature) ? new float[2 * pixels] : [];
        Instances = fields.HasFlag(DenseFields.Instances) ? new int[pixels] : [];
        ObjectCoordinates = fields.HasFlag(DenseFields.ObjectCoordinates) ? new float[3 * pixels] : [];
    }

    public int Height { get; }
    public int Width { get; }
    public DenseFields Fields { get; }
    public float[] Image { get; }
    public int[] Labels { get; }
    public float[] Depth { get; }
    public float[] Normals { get; }
    public float[] Curvature { get; }
    public int[] Instances { get; }
    public float[] ObjectCoordinates { get; }
    public SampleInfo Info { get; set; } = new(0, null, []);

    public SampleView View() => new()
    {
        Height = Height, Width = Width, Image = Image, Labels = Labels, Depth = Depth, Normals = Normals,
        Curvature = Curvature, Instances = Instances, ObjectCoordinates = ObjectCoordinates,
    };

    /// <summary>Loads one sample of a dataset into new host arrays.</summary>
    public static DenseSample Load(IDenseDataset dataset, long index, int epoch = 0)
    {
        var sample = new DenseSample(dataset.Height, dataset.Width, dataset.Fields);
        sample.Info = dataset.Load(index, epoch, sample.View());
        return sample;
    }
}

/// <summary>A dataset of dense samples of one size. <see cref="Load"/> must be safe to call from several
/// threads at once: the batch loader renders or reads samples on its workers.</summary>
public interface IDenseDataset
{
    int Height { get; }
    int Width { get; }
    long Count { get; }
    int ClassCount { get; }
    DenseFields Fields { get; }

    /// <summary>Writes sample <paramref name="index"/> into <paramref name="target"/>. <paramref name="epoch"/>
    /// tells repeated loads of one index apart, so that random augmentation differs between epochs.</summary>
    SampleInfo Load(long index, int epoch, SampleView target);
}
