using NativeMtl.Kernels;

namespace NativeMtl.Data.Synthetic;

/// <summary>
/// Renders a <see cref="Scene"/> by casting one ray per pixel centre, analytically, against the room and
/// every object, so each annotation is exact: depth is the camera-frame z of the nearest surface; normals are
/// unit vectors in the camera frame, turned to face the camera (n·d &lt; 0 for the viewing ray d); curvatures
/// are the primitive's principal curvatures (k1 ≥ k2, 1/m, positive where the surface bends away from its
/// outward normal: a sphere of radius r has k1 = k2 = 1/r; planes, the room and the flat faces 0; clamped to
/// ±<see cref="Primitive.MaxCurvature"/>); object coordinates are the surface point in its object's frame.
/// Colour is Lambertian with ambient light and cast shadows, then sensor noise. Rendering one image uses one
/// thread and depends only on the scene and the resolution.
/// </summary>
public static class SceneRenderer
{
    private const double ShadowBias = 1e-4;

    /// <summary>Set in the stream word of the noise counters; scene draws use streams below 2³¹.</summary>
    internal const uint NoiseStreamBit = 0x8000_0000;

    /// <summary>Point lights fall off as 1/(1 + (d / FalloffDistance)²).</summary>
    private const double FalloffDistance = 4;

    public static DenseSample Render(Scene scene, int height, int width, long index = 0)
    {
        var sample = new DenseSample(height, width, DenseFields.All);
        sample.Info = Render(scene, index, sample.View());
        return sample;
    }

    public static SampleInfo Render(Scene scene, long index, SampleView target) =>
        Render(scene, index, target, scene.Camera.Intrinsics(target.Height, target.Width));

    /// <summary>Renders through given intrinsics instead of the camera's field of view over the whole target: a crop of
    /// the camera's image, say, whose intrinsics are the image's shifted and scaled (<see cref="PoseCrops"/>). Without
    /// <paramref name="shade"/> the image is not written (no lighting, shadow rays or noise): for a caller that wants the
    /// geometry only, at a fraction of the cost.</summary>
    public static SampleInfo Render(Scene scene, long index, SampleView target, CameraIntrinsics intrinsics, bool shade = true)
    {
        int height = target.Height, width = target.Width, pixels = height * width;
        if (target.Image.Length != 3 * pixels || target.Labels.Length != pixels || target.Depth.Length != pixels
            || target.Normals.Length != 3 * pixels || target.Curvature.Length != 2 * pixels
            || target.Instances.Length != pixels || target.ObjectCoordinates.Length != 3 * pixels)
            throw new ArgumentException($"SceneRenderer: the target does not hold every field of a {height}×{width} sample");

        var worldFromCamera = scene.Camera.WorldFromCamera;
        var cameraFromWorld = worldFromCamera.Inverse();
        var placed = scene.Objects.Select(o => new PlacedObject(o, cameraFromWorld.Compose(o.WorldFromObject))).ToArray();
        var lights = scene.Lights.Select(l => l.Kind == LightKind.Point
            ? l with { Vector = cameraFromWorld.Apply(l.Vector) }
            : l with { Vector = cameraFromWorld.Rotation * l.Vector }).ToArray();
        var visible = new int[placed.Length];
        var hit = new SurfaceHit();

        for (int v = 0; v < height; v++)
        {
            for (int u = 0; u < width; u++)
            {
                int p = v * width + u;
                // z = 1, so the ray parameter of a hit is its camera-frame depth.
                var ray = new Vec3((u + 0.5 - intrinsics.Cx) / intrinsics.Fx, (v + 0.5 - intrinsics.Cy) / intrinsics.Fy, 1);
                var worldRay = worldFromCamera.Rotation * ray;
                var (best, roomClass, roomNormal) = RoomExit(scene.Room, worldFromCamera.Translation, worldRay);
                int hitObject = -1;
                var objectHit = new SurfaceHit();
                for (int k = 0; k < placed.Length; k++)
                {
                    ref readonly var o = ref placed[k];
                    var d = o.ObjectFromCamera * ray;
                    if (!MayHit(o.CameraInObject, d, o.Radius, best)) continue;
                    foreach (var part in o.Parts)
                    {
                        if (part.Intersect(o.CameraInObject, d, best, ref hit))
                        {
                            best = hit.T;
                            objectHit = hit;
                            hitObject = k;
                        }
                    }
                }

                var point = best * ray;
                Vec3 normal, albedo;
                if (hitObject >= 0)
                {
                    ref readonly var o = ref placed[hitObject];
                    var local = o.CameraInObject + best * (o.ObjectFromCamera * ray);
                    normal = o.CameraFromObject * objectHit.Normal;
                    albedo = o.Object.Texture.Albedo(local);
                    target.Labels[p] = o.Object.ClassId;
                    target.Instances[p] = o.Object.InstanceId;
                    target.Curvature[p] = (float)objectHit.K1;
                    target.Curvature[pixels + p] = (float)objectHit.K2;
                    target.ObjectCoordinates[p] = (float)local.X;
                    target.ObjectCoordinates[pixels + p] = (float)local.Y;
                    target.ObjectCoordinates[2 * pixels + p] = (float)local.Z;
                    visible[hitObject]++;
                }
                else
                {
                    normal = cameraFromWorld.Rotation * roomNormal;
                    var texture = roomClass switch
                    {
                        SceneClasses.Floor => scene.Room.Floor,
                        SceneClasses.Ceiling => scene.Room.Ceiling,
                        _ => scene.Room.Walls,
                    };
                    albedo = texture.Albedo(worldFromCamera.Translation + best * worldRay);
                    target.Labels[p] = roomClass;
                    target.Instances[p] = 0;
                    target.Curvature[p] = target.Curvature[pixels + p] = 0;
                    target.ObjectCoordinates[p] = target.ObjectCoordinates[pixels + p] = target.ObjectCoordinates[2 * pixels + p] = 0;
                }
                // A ray that grazes a surface can meet it from behind by rounding; the convention is n·d < 0.
                if (Vec3.Dot(normal, ray) > 0) normal = -normal;

                target.Depth[p] = (float)best;
                target.Normals[p] = (float)normal.X;
                target.Normals[pixels + p] = (float)normal.Y;
                target.Normals[2 * pixels + p] = (float)normal.Z;

                if (!shade) continue;
                var color = albedo * Irradiance(scene.Ambient, lights, placed, point, normal);
                Noise(scene.Noise, p, color, out double r, out double g, out double b);
                target.Image[p] = (float)r;
                target.Image[pixels + p] = (float)g;
                target.Image[2 * pixels + p] = (float)b;
            }
        }

        var poses = placed.Select((o, k) => new ObjectPose(o.Object.InstanceId, o.Object.ClassId, o.CameraFromObject,
            o.Translation, o.Object.BoundingRadius, visible[k])).ToArray();
        return new SampleInfo(index, intrinsics, poses);
    }

    /// <summary>Where a ray from inside the room leaves it, the class of that surface and its inward normal.</summary>
    private static (double T, int Class, Vec3 Normal) RoomExit(Room room, Vec3 origin, Vec3 d)
    {
        double tx = d.X > 0 ? (0.5 * room.Width - origin.X) / d.X : d.X < 0 ? (-0.5 * room.Width - origin.X) / d.X : double.PositiveInfinity;
        double ty = d.Y > 0 ? (room.Height - origin.Y) / d.Y : d.Y < 0 ? -origin.Y / d.Y : double.PositiveInfinity;
        double tz = d.Z > 0 ? (0.5 * room.Depth - origin.Z) / d.Z : d.Z < 0 ? (-0.5 * room.Depth - origin.Z) / d.Z : double.PositiveInfinity;
        if (ty <= tx && ty <= tz)
            return d.Y < 0 ? (ty, SceneClasses.Floor, new Vec3(0, 1, 0)) : (ty, SceneClasses.Ceiling, new Vec3(0, -1, 0));
        return tx <= tz ? (tx, SceneClasses.Wall, new Vec3(-Math.Sign(d.X), 0, 0)) : (tz, SceneClasses.Wall, new Vec3(0, 0, -Math.Sign(d.Z)));
    }

    /// <summary>Whether a ray can meet anything inside the bounding sphere (radius about the origin) before tMax.</summary>
    private static bool MayHit(Vec3 o, Vec3 d, double radius, double tMax)
    {
        double a = Vec3.Dot(d, d), b = Vec3.Dot(o, d), c = Vec3.Dot(o, o) - radius * radius;
        double disc = b * b - a * c;
        if (disc < 0) return false;
        double sq = Math.Sqrt(disc);
        return (-b + sq) / a > Primitive.MinT && (-b - sq) / a < tMax;
    }

    private static double Irradiance(double ambient, Light[] lights, PlacedObject[] objects, Vec3 point, Vec3 normal)
    {
        double total = ambient;
        var origin = point + ShadowBias * normal;
        foreach (var light in lights)
        {
            Vec3 toLight;
            double tMax, falloff;
            if (light.Kind == LightKind.Point)
            {
                toLight = light.Vector - origin;
                double distance = toLight.Length;
                tMax = 1;
                falloff = 1 / (1 + distance * distance / (FalloffDistance * FalloffDistance));
            }
            else
            {
                toLight = light.Vector;
                tMax = double.PositiveInfinity;
                falloff = 1;
            }
            double cosine = Vec3.Dot(normal, toLight) / toLight.Length;
            if (cosine <= 0 || Occluded(objects, origin, toLight, tMax)) continue;
            total += light.Intensity * falloff * cosine;
        }
        return total;
    }

    private static bool Occluded(PlacedObject[] objects, Vec3 origin, Vec3 direction, double tMax)
    {
        var hit = new SurfaceHit();
        foreach (ref readonly var o in objects.AsSpan())
        {
            var localOrigin = o.ObjectFromCamera * (origin - o.Translation);
            var d = o.ObjectFromCamera * direction;
            if (!MayHit(localOrigin, d, o.Radius, tMax)) continue;
            foreach (var part in o.Parts)
                if (part.Intersect(localOrigin, d, tMax, ref hit)) return true;
        }
        return false;
    }

    /// <summary>Adds Gaussian noise (three normal deviates from one Philox block per pixel), clamps to [0, 1]
    /// and rounds to 8 bits.</summary>
    private static void Noise(SensorNoise noise, int pixel, Vec3 color, out double r, out double g, out double b)
    {
        var (w0, w1, w2, w3) = Philox.Block((uint)pixel, noise.Stream | NoiseStreamBit, (uint)noise.Index,
            (uint)((ulong)noise.Index >> 32), (uint)noise.Seed, (uint)(noise.Seed >> 32));
        double radius0 = Math.Sqrt(-2 * Math.Log(((w0 >> 8) + 1) * (1.0 / 16777216.0)));
        double angle0 = 2 * Math.PI * (w1 >> 8) * (1.0 / 16777216.0);
        double radius1 = Math.Sqrt(-2 * Math.Log(((w2 >> 8) + 1) * (1.0 / 16777216.0)));
        double angle1 = 2 * Math.PI * (w3 >> 8) * (1.0 / 16777216.0);
        r = Quantize(color.X + noise.Std * radius0 * Math.Cos(angle0));
        g = Quantize(color.Y + noise.Std * radius0 * Math.Sin(angle0));
        b = Quantize(color.Z + noise.Std * radius1 * Math.Cos(angle1));
    }

    private static double Quantize(double value) => Math.Round(Math.Clamp(value, 0, 1) * 255) / 255;

    private readonly struct PlacedObject
    {
        public PlacedObject(SceneObject o, RigidTransform cameraFromObject)
        {
            Object = o;
            CameraFromObject = cameraFromObject.Rotation;
            ObjectFromCamera = cameraFromObject.Rotation.Transpose();
            Translation = cameraFromObject.Translation;
            CameraInObject = -(ObjectFromCamera * Translation);
            Parts = [.. o.Parts];
            Radius = o.BoundingRadius;
        }

        public SceneObject Object { get; }
        public Mat3 CameraFromObject { get; }
        public Mat3 ObjectFromCamera { get; }
        public Vec3 Translation { get; }
        public Vec3 CameraInObject { get; }
        public Primitive[] Parts { get; }
        public double Radius { get; }
    }
}
