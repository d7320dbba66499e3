namespace NativeMtl.Data.Synthetic;

/// <summary>
/// Draws random scenes: a room of 4.5–7.5 m by 4.5–7.5 m and 2.6–3.2 m high; a camera 1.0–1.8 m above the
/// floor, 50–65° wide, aimed a little above the objects (one time in five well above, so that the ceiling
/// shows); 3–7 objects of uniformly drawn classes resting on the floor 0.7–3.4 m in front of the camera, not
/// touching each other (each gets 60 tries to find free floor, so a cramped room may hold fewer), each with a
/// random yaw (rings may stand on edge, cylinders and capsules lie on their side); one or two point or
/// directional lights and an ambient term; solid textures (checker, stripes or noise) whose kind, scale and
/// colours are drawn independently of the class; and Gaussian sensor noise of standard deviation 0.004–0.02.
/// A scene depends only on (seed, stream, index).
/// </summary>
public static class SceneGenerator
{
    private const int MaxPlacementTries = 60;

    /// <summary>The scene at <paramref name="index"/> of a stream. Streams are independent: the training and
    /// validation splits use different ones.</summary>
    public static Scene Generate(ulong seed, uint stream, long index)
    {
        if (stream >= SceneRenderer.NoiseStreamBit) throw new ArgumentOutOfRangeException(nameof(stream), $"scene streams are below 2^31, not {stream}");
        if (index < 0) throw new ArgumentOutOfRangeException(nameof(index), $"scene indices are non-negative, not {index}");
        var random = new SceneRandom(seed, stream, index);
        var room = new Room(random.Uniform(4.5, 7.5), random.Uniform(2.6, 3.2), random.Uniform(4.5, 7.5),
            RandomTexture(random, 0.25, 0.8), RandomTexture(random, 0.3, 1.0), RandomTexture(random, 0.3, 1.0));

        var camera = new Vec3(random.Uniform(-0.5 * room.Width + 0.4, 0.5 * room.Width - 0.4), random.Uniform(1.0, 1.8),
            random.Uniform(-0.5 * room.Depth + 0.4, 0.5 * room.Depth - 0.4));
        // Face the far side of the room, so that there is floor in front to place objects on.
        double yaw = Math.Atan2(-camera.X, -camera.Z) + random.Uniform(-0.6, 0.6);
        double fov = random.Uniform(50, 65) * Math.PI / 180;

        int wanted = 3 + random.Int(5);
        var objects = new List<SceneObject>();
        var footprints = new List<(double X, double Z, double Radius)>();
        for (int i = 0; i < wanted; i++)
        {
            int classId = SceneClasses.FirstObject + random.Int(SceneClasses.Count - SceneClasses.FirstObject);
            var parts = Build(classId, random);
            var rotation = Mat3.RotationY(random.Uniform(0, 2 * Math.PI)) * Tip(classId, random);
            var (low, reach) = Extent(parts, rotation);
            var texture = RandomTexture(random, 0.04, 0.25);
            for (int attempt = 0; attempt < MaxPlacementTries; attempt++)
            {
                double bearing = yaw + random.Uniform(-0.45, 0.45) * fov;
                double distance = random.Uniform(0.7 + reach, 3.4);
                double x = camera.X + distance * Math.Sin(bearing), z = camera.Z + distance * Math.Cos(bearing);
                bool inside = Math.Abs(x) <= 0.5 * room.Width - reach - 0.05 && Math.Abs(z) <= 0.5 * room.Depth - reach - 0.05;
                if (!inside || footprints.Any(f => Math.Sqrt((f.X - x) * (f.X - x) + (f.Z - z) * (f.Z - z)) < f.Radius + reach + 0.05))
                    continue;
                footprints.Add((x, z, reach));
                objects.Add(new SceneObject(objects.Count + 1, classId, parts, new RigidTransform(rotation, new Vec3(x, -low, z)), texture));
                break;
            }
        }

        var target = objects.Count > 0
            ? (1.0 / objects.Count) * objects.Aggregate(Vec3.Zero, (sum, o) => sum + o.WorldFromObject.Translation)
            : camera + new Vec3(2 * Math.Sin(yaw), -camera.Y, 2 * Math.Cos(yaw));
        // Aim a little above the objects' centre, and one time in five well above it, so that the upper walls
        // and the ceiling show too.
        target += new Vec3(0, random.Chance(0.2) ? random.Uniform(0.8, 1.6) : random.Uniform(0, 0.5), 0);
        var forward = (target - camera).Normalized();
        // OpenCV axes: right = forward × up, down = forward × right; then a slight roll about forward.
        var right = Vec3.Cross(forward, new Vec3(0, 1, 0)).Normalized();
        var down = Vec3.Cross(forward, right);
        double roll = random.Uniform(-0.05, 0.05);
        (right, down) = (Math.Cos(roll) * right + Math.Sin(roll) * down, Math.Cos(roll) * down - Math.Sin(roll) * right);
        var pinhole = new PinholeCamera(new RigidTransform(Mat3.FromColumns(right, down, forward), camera), fov);

        var lights = new List<Light>();
        int lightCount = 1 + random.Int(2);
        for (int i = 0; i < lightCount; i++)
        {
            lights.Add(random.Chance(0.7)
                ? new Light(LightKind.Point, new Vec3(random.Uniform(-0.5, 0.5) * (room.Width - 0.6), room.Height - random.Uniform(0.1, 0.5),
                    random.Uniform(-0.5, 0.5) * (room.Depth - 0.6)), random.Uniform(1.2, 2.0) / lightCount)
                : new Light(LightKind.Directional, new Vec3(random.Uniform(-1, 1), random.Uniform(0.6, 1.2), random.Uniform(-1, 1)).Normalized(),
                    random.Uniform(0.6, 1.0) / lightCount));
        }
        double ambient = random.Uniform(0.25, 0.45);
        var noise = new SensorNoise(random.Uniform(0.004, 0.02), seed, stream, index);
        return new Scene(room, objects, lights, ambient, pinhole, noise);
    }

    /// <summary>The parts of an object of a class, centred on the middle of its bounding box.</summary>
    private static Primitive[] Build(int classId, SceneRandom random)
    {
        switch (classId)
        {
            case SceneClasses.Box:
                return [ConvexPolyhedron.Box(Vec3.Zero, new Vec3(random.Uniform(0.12, 0.4), random.Uniform(0.12, 0.4), random.Uniform(0.12, 0.4)))];
            case SceneClasses.Sphere:
                return [new Sphere(Vec3.Zero, random.Uniform(0.15, 0.4))];
            case SceneClasses.Cylinder:
            {
                double r = random.Uniform(0.1, 0.3), h = random.Uniform(0.25, 0.9);
                return [new Frustum(new Vec3(0, -0.5 * h, 0), h, r, r)];
            }
            case SceneClasses.Cone:
            {
                double r = random.Uniform(0.15, 0.35), h = random.Uniform(0.3, 0.9);
                return [new Frustum(new Vec3(0, -0.5 * h, 0), h, r, 0)];
            }
            case SceneClasses.Torus:
            {
                double major = random.Uniform(0.18, 0.35);
                return [new Torus(Vec3.Zero, major, major * random.Uniform(0.2, 0.45))];
            }
            case SceneClasses.Capsule:
            {
                double r = random.Uniform(0.08, 0.2), length = random.Uniform(0.2, 0.6);
                return [new Frustum(new Vec3(0, -0.5 * length, 0), length, r, r), new Sphere(new Vec3(0, -0.5 * length, 0), r),
                    new Sphere(new Vec3(0, 0.5 * length, 0), r)];
            }
            case SceneClasses.Pyramid:
            {
                double h = random.Uniform(0.3, 0.8);
                return [ConvexPolyhedron.Pyramid(new Vec3(0, -0.5 * h, 0), random.Uniform(0.15, 0.4), h)];
            }
            case SceneClasses.Table:
            {
                double height = random.Uniform(0.55, 0.8), halfX = random.Uniform(0.35, 0.6), halfZ = random.Uniform(0.25, 0.45);
                double leg = random.Uniform(0.025, 0.04), top = 0.025, y0 = -0.5 * height;
                var parts = new List<Primitive> { ConvexPolyhedron.Box(new Vec3(0, 0.5 * height - top, 0), new Vec3(halfX, top, halfZ)) };
                parts.AddRange(Legs(halfX - 0.06, halfZ - 0.06, y0, height - 2 * top, leg));
                return [.. parts];
            }
            case SceneClasses.Chair:
            {
                double seatHeight = random.Uniform(0.42, 0.5), half = random.Uniform(0.2, 0.26), back = random.Uniform(0.35, 0.5);
                double height = seatHeight + back, y0 = -0.5 * height, seat = 0.025, leg = random.Uniform(0.018, 0.028);
                var parts = new List<Primitive>
                {
                    ConvexPolyhedron.Box(new Vec3(0, y0 + seatHeight - seat, 0), new Vec3(half, seat, half)),
                    ConvexPolyhedron.Box(new Vec3(0, y0 + seatHeight + 0.5 * back, -half + 0.02), new Vec3(half, 0.5 * back, 0.02)),
                };
                parts.AddRange(Legs(half - 0.03, half - 0.03, y0, seatHeight - 2 * seat, leg));
                return [.. parts];
            }
            default:
            {
                double baseRadius = random.Uniform(0.12, 0.18), pole = random.Uniform(0.9, 1.4), poleRadius = random.Uniform(0.012, 0.02);
                double shadeHeight = random.Uniform(0.2, 0.3), shadeBottom = random.Uniform(0.18, 0.28), shadeTop = random.Uniform(0.08, 0.14);
                double plinth = 0.03, shadeBase = plinth + pole - 0.7 * shadeHeight, height = shadeBase + shadeHeight, y0 = -0.5 * height;
                return
                [
                    new Frustum(new Vec3(0, y0, 0), plinth, baseRadius, baseRadius),
                    new Frustum(new Vec3(0, y0 + plinth, 0), pole, poleRadius, poleRadius),
                    new Frustum(new Vec3(0, y0 + shadeBase, 0), shadeHeight, shadeBottom, shadeTop),
                ];
            }
        }
    }

    private static IEnumerable<Primitive> Legs(double x, double z, double bottom, double length, double radius)
    {
        foreach (var (sx, sz) in new[] { (1, 1), (1, -1), (-1, 1), (-1, -1) })
            yield return new Frustum(new Vec3(sx * x, bottom, sz * z), length, radius, radius);
    }

    /// <summary>How an object stands before its yaw: rings stand on edge half of the time, cylinders and
    /// capsules lie on their side a third of the time.</summary>
    private static Mat3 Tip(int classId, SceneRandom random) => classId switch
    {
        SceneClasses.Torus when random.Chance(0.5) => Mat3.RotationX(0.5 * Math.PI),
        SceneClasses.Cylinder or SceneClasses.Capsule when random.Chance(1.0 / 3) => Mat3.RotationZ(0.5 * Math.PI),
        _ => Mat3.Identity,
    };

    /// <summary>The lowest world-frame y of the rotated parts' bounding boxes (exact for the rotations used
    /// here, which map the boxes' axes onto world axes up to a yaw) and their horizontal reach from the origin.</summary>
    private static (double Low, double Reach) Extent(Primitive[] parts, Mat3 rotation)
    {
        double low = double.PositiveInfinity, reach = 0;
        foreach (var part in parts)
        {
            var (min, max) = part.Bounds;
            for (int corner = 0; corner < 8; corner++)
            {
                var c = rotation * new Vec3((corner & 1) == 0 ? min.X : max.X, (corner & 2) == 0 ? min.Y : max.Y, (corner & 4) == 0 ? min.Z : max.Z);
                low = Math.Min(low, c.Y);
                reach = Math.Max(reach, Math.Sqrt(c.X * c.X + c.Z * c.Z));
            }
        }
        return (low, reach);
    }

    private static Texture RandomTexture(SceneRandom random, double minScale, double maxScale)
    {
        var kind = (TextureKind)random.Int(3);
        var a = RandomColor(random);
        var b = RandomColor(random);
        double scale = random.Uniform(minScale, maxScale);
        var direction = new Vec3(random.Uniform(-1, 1), random.Uniform(-1, 1), random.Uniform(-1, 1));
        if (direction.Length < 1e-3) direction = new Vec3(1, 0, 0);
        var offset = new Vec3(random.Uniform(0, scale), random.Uniform(0, scale), random.Uniform(0, scale));
        return new Texture(kind, a, b, scale, direction.Normalized(), offset, random.NextUInt());
    }

    /// <summary>A colour from hue, saturation and value, drawn uniformly over a wide range.</summary>
    private static Vec3 RandomColor(SceneRandom random)
    {
        double h = random.Uniform(0, 6), s = random.Uniform(0.15, 0.9), v = random.Uniform(0.3, 1.0);
        double c = v * s, x = c * (1 - Math.Abs(h % 2 - 1)), m = v - c;
        var (r, g, b) = (int)h switch
        {
            0 => (c, x, 0.0),
            1 => (x, c, 0.0),
            2 => (0.0, c, x),
            3 => (0.0, x, c),
            4 => (x, 0.0, c),
            _ => (c, 0.0, x),
        };
        return new Vec3(r + m, g + m, b + m);
    }
}
