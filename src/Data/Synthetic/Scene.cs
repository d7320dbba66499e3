namespace NativeMtl.Data.Synthetic;

/// <summary>A rigid object: a union of primitives in its own frame (origin at the centre of its bounding
/// box, y along its axis of symmetry where it has one), placed by <see cref="WorldFromObject"/>.</summary>
public sealed record SceneObject(int InstanceId, int ClassId, IReadOnlyList<Primitive> Parts, RigidTransform WorldFromObject, Texture Texture)
{
    /// <summary>The radius of a sphere about the object's origin that holds every part (from the parts'
    /// bounding boxes, so it may exceed the tightest such sphere).</summary>
    public double BoundingRadius => Parts.Max(p =>
    {
        var (min, max) = p.Bounds;
        double x = Math.Max(Math.Abs(min.X), Math.Abs(max.X)), y = Math.Max(Math.Abs(min.Y), Math.Abs(max.Y)), z = Math.Max(Math.Abs(min.Z), Math.Abs(max.Z));
        return Math.Sqrt(x * x + y * y + z * z);
    });

    /// <summary>The axis-aligned box, in the object's frame, that holds every part.</summary>
    public (Vec3 Min, Vec3 Max) Bounds => (
        new Vec3(Parts.Min(p => p.Bounds.Min.X), Parts.Min(p => p.Bounds.Min.Y), Parts.Min(p => p.Bounds.Min.Z)),
        new Vec3(Parts.Max(p => p.Bounds.Max.X), Parts.Max(p => p.Bounds.Max.Y), Parts.Max(p => p.Bounds.Max.Z)));

    /// <summary>Points on the object's surface, in its frame: where rays on a <paramref name="perSide"/>×<paramref name="perSide"/>
    /// grid, parallel to each axis in both directions across the object's bounding box, first meet it (what a scanner
    /// would see from six sides; cavities hidden from all six are missed). The model points of pose metrics.</summary>
    public IReadOnlyList<Vec3> SurfacePoints(int perSide)
    {
        var (min, max) = Bounds;
        double[] lo = [min.X, min.Y, min.Z], hi = [max.X, max.Y, max.Z];
        var points = new List<Vec3>();
        var hit = new SurfaceHit();
        for (int axis = 0; axis < 3; axis++)
        {
            int a = (axis + 1) % 3, b = (axis + 2) % 3;
            foreach (int sign in new[] { 1, -1 })
                for (int i = 0; i < perSide; i++)
                    for (int j = 0; j < perSide; j++)
                    {
                        var origin = new double[3];
                        origin[a] = lo[a] + (i + 0.5) / perSide * (hi[a] - lo[a]);
                        origin[b] = lo[b] + (j + 0.5) / perSide * (hi[b] - lo[b]);
                        origin[axis] = sign > 0 ? lo[axis] - 1 : hi[axis] + 1;
                        var direction = new double[3];
                        direction[axis] = sign;
                        Vec3 o = new(origin[0], origin[1], origin[2]), d = new(direction[0], direction[1], direction[2]);
                        double nearest = double.PositiveInfinity;
                        foreach (var part in Parts)
                            if (part.Intersect(o, d, nearest, ref hit)) nearest = hit.T;
                        if (double.IsFinite(nearest)) points.Add(o + nearest * d);
                    }
        }
        return points;
    }
}

/// <summary>An axis-aligned room: x in [−Width/2, Width/2], floor at y = 0, ceiling at y = Height,
/// z in [−Depth/2, Depth/2] (metres, y up).</summary>
public sealed record Room(double Width, double Height, double Depth, Texture Floor, Texture Walls, Texture Ceiling);

/// <summary>A pinhole camera with square pixels and the principal point at the image centre. The camera
/// frame follows OpenCV: x right, y down, z forward (the viewing direction).</summary>
public sealed record PinholeCamera(RigidTransform WorldFromCamera, double HorizontalFieldOfView)
{
    /// <summary>The intrinsics at a resolution: the field of view spans the image width at any resolution,
    /// so one scene looks the same at 96×128 and at 288×384.</summary>
    public CameraIntrinsics Intrinsics(int height, int width)
    {
        double f = 0.5 * width / Math.Tan(0.5 * HorizontalFieldOfView);
        return new CameraIntrinsics(f, f, 0.5 * width, 0.5 * height);
    }
}

public enum LightKind
{
    /// <summary>Light from a position, falling off as 1/(1 + (d / 4 m)²).</summary>
    Point,

    /// <summary>Light from a direction, without falloff.</summary>
    Directional,
}

/// <summary>A light in world coordinates: <see cref="Vector"/> is the position of a point light, or the
/// unit direction towards a directional one.</summary>
public sealed record Light(LightKind Kind, Vec3 Vector, double Intensity);

/// <summary>Sensor noise: Gaussian with standard deviation <see cref="Std"/> per channel, then rounding to
/// 8 bits. Pixel p's noise is drawn from Philox counter (p, stream | 2³¹, index) under key = seed, a range no
/// scene draw uses, so it too depends only on the scene's (seed, stream, index).</summary>
public sealed record SensorNoise(double Std, ulong Seed, uint Stream, long Index);

/// <summary>Everything needed to render one image: the room, its objects, the lights (Lambertian shading
/// with ambient light and cast shadows) and the camera.</summary>
public sealed record Scene(Room Room, IReadOnlyList<SceneObject> Objects, IReadOnlyList<Light> Lights, double Ambient,
    PinholeCamera Camera, SensorNoise Noise);
