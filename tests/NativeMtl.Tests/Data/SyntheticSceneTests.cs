using NativeMtl.Data;
using NativeMtl.Data.Synthetic;

namespace NativeMtl.Tests.Data;

public class SyntheticSceneTests
{
    private static readonly SyntheticScenes Scenes = new(seed: 7);

    /// <summary>A handful of scenes that between them hold every object class.</summary>
    private static readonly long[] Indices = [0, 1, 2, 3, 4, 5];

    private static (double X, double Y) RayAt(SampleInfo info, int pixel, int width) =>
        ((pixel % width + 0.5 - info.Camera!.Value.Cx) / info.Camera.Value.Fx, (pixel / width + 0.5 - info.Camera.Value.Cy) / info.Camera.Value.Fy);

    [Fact]
    public void DepthIsPositiveAndFiniteEverywhere()
    {
        foreach (var i in Indices)
            Assert.All(Scenes.Render(i).Depth, d => Assert.True(d > 0 && float.IsFinite(d), $"depth {d}"));
    }

    [Fact]
    public void ObjectCoordinatesMovedByThePoseLandOnThePixelsRayAtItsDepth()
    {
        foreach (var i in Indices)
        {
            var s = Scenes.Render(i);
            int pixels = s.Height * s.Width, checkedPixels = 0;
            var poses = s.Info.Objects.ToDictionary(o => o.InstanceId);
            for (int p = 0; p < pixels; p++)
            {
                if (s.Instances[p] == 0) continue;
                var pose = poses[s.Instances[p]];
                var local = new Vec3(s.ObjectCoordinates[p], s.ObjectCoordinates[pixels + p], s.ObjectCoordinates[2 * pixels + p]);
                var camera = pose.Rotation * local + pose.Translation;
                var (rx, ry) = RayAt(s.Info, p, s.Width);
                Assert.Equal(s.Depth[p], camera.Z, 1e-4 * Math.Max(1, s.Depth[p]));
                Assert.Equal(rx * s.Depth[p], camera.X, 1e-4 * Math.Max(1, s.Depth[p]));
                Assert.Equal(ry * s.Depth[p], camera.Y, 1e-4 * Math.Max(1, s.Depth[p]));
                checkedPixels++;
            }
            Assert.True(checkedPixels > 100, $"scene {i} shows only {checkedPixels} object pixels");
        }
    }

    [Fact]
    public void RoomPixelsLieOnTheSurfaceTheirLabelNames()
    {
        const long index = 2;
        var scene = Scenes.Scene(index);
        var s = Scenes.Render(index);
        int pixels = s.Height * s.Width;
        var room = scene.Room;
        for (int p = 0; p < pixels; p++)
        {
            if (s.Instances[p] != 0) continue;
            var (rx, ry) = RayAt(s.Info, p, s.Width);
            var world = scene.Camera.WorldFromCamera.Apply(s.Depth[p] * new Vec3(rx, ry, 1));
            double onWall = Math.Min(Math.Abs(Math.Abs(world.X) - room.Width / 2), Math.Abs(Math.Abs(world.Z) - room.Depth / 2));
            double distance = s.Labels[p] switch
            {
                SceneClasses.Floor => Math.Abs(world.Y),
                SceneClasses.Ceiling => Math.Abs(world.Y - room.Height),
                SceneClasses.Wall => onWall,
                var other => throw new Xunit.Sdk.XunitException($"pixel {p} has no object but class {other}"),
            };
            Assert.True(distance < 1e-4, $"pixel {p} ({SceneClasses.Names[s.Labels[p]]}) is {distance} m off its surface");
        }
    }

    [Fact]
    public void NormalsAreUnitVectorsFacingTheCamera()
    {
        foreach (var i in Indices)
        {
            var s = Scenes.Render(i);
            int pixels = s.Height * s.Width;
            for (int p = 0; p < pixels; p++)
            {
                double nx = s.Normals[p], ny = s.Normals[pixels + p], nz = s.Normals[2 * pixels + p];
                Assert.Equal(1, Math.Sqrt(nx * nx + ny * ny + nz * nz), 1e-5);
                var (rx, ry) = RayAt(s.Info, p, s.Width);
                Assert.True(nx * rx + ny * ry + nz < 0, $"scene {i} pixel {p}: normal ({nx}, {ny}, {nz}) faces away");
            }
        }
    }

    [Fact]
    public void ObjectClassesAppearExactlyWhereAnObjectWasDrawn()
    {
        foreach (var i in Indices)
        {
            var s = Scenes.Render(i);
            var classOf = s.Info.Objects.ToDictionary(o => o.InstanceId, o => o.ClassId);
            for (int p = 0; p < s.Labels.Length; p++)
            {
                if (s.Instances[p] > 0) Assert.Equal(classOf[s.Instances[p]], s.Labels[p]);
                else Assert.Contains(s.Labels[p], new[] { SceneClasses.Floor, SceneClasses.Wall, SceneClasses.Ceiling });
            }
        }
    }

    [Fact]
    public void RoomPixelsHaveZeroObjectCoordinatesAndZeroCurvature()
    {
        var s = Scenes.Render(1);
        int pixels = s.Height * s.Width;
        for (int p = 0; p < pixels; p++)
        {
            if (s.Instances[p] != 0) continue;
            Assert.Equal([0f, 0f, 0f], [s.ObjectCoordinates[p], s.ObjectCoordinates[pixels + p], s.ObjectCoordinates[2 * pixels + p]]);
            Assert.Equal([0f, 0f], [s.Curvature[p], s.Curvature[pixels + p]]);
        }
    }

    [Fact]
    public void VisiblePixelCountsMatchTheInstanceMap()
    {
        var s = Scenes.Render(3);
        foreach (var o in s.Info.Objects) Assert.Equal(s.Instances.Count(id => id == o.InstanceId), o.VisiblePixels);
    }

    [Fact]
    public void ScenesHoldUpToSevenObjectsNumberedFromOneAndTogetherCoverEveryObjectClass()
    {
        var classes = new HashSet<int>();
        for (long i = 0; i < 40; i++)
        {
            var scene = Scenes.Scene(i);
            Assert.InRange(scene.Objects.Count, 1, 7);
            Assert.Equal(Enumerable.Range(1, scene.Objects.Count), scene.Objects.Select(o => o.InstanceId));
            classes.UnionWith(scene.Objects.Select(o => o.ClassId));
        }
        Assert.Equal(Enumerable.Range(SceneClasses.FirstObject, SceneClasses.Count - SceneClasses.FirstObject), classes.Order());
    }

    [Fact]
    public void ImagesAreInTheUnitRangeOnThe8BitGrid()
    {
        Assert.All(Scenes.Render(0).Image, v =>
        {
            Assert.InRange(v, 0f, 1f);
            Assert.Equal(Math.Round(v * 255.0), v * 255.0, 1e-3);
        });
    }

    [Fact]
    public async Task SameSeedAndIndexGiveBitIdenticalSamplesOnAnyThread()
    {
        var a = Scenes.Render(4);
        var b = await Task.Run(() => new SyntheticScenes(seed: 7).Render(4));
        Assert.Equal(a.Image, b.Image);
        Assert.Equal(a.Labels, b.Labels);
        Assert.Equal(a.Depth, b.Depth);
        Assert.Equal(a.Normals, b.Normals);
        Assert.Equal(a.Curvature, b.Curvature);
        Assert.Equal(a.Instances, b.Instances);
        Assert.Equal(a.ObjectCoordinates, b.ObjectCoordinates);
        Assert.Equal(a.Info.Objects, b.Info.Objects);
    }

    [Fact]
    public void DifferentIndicesSeedsAndSplitsGiveDifferentScenes()
    {
        var reference = Scenes.Render(0);
        Assert.NotEqual(reference.Depth, Scenes.Render(1).Depth);
        Assert.NotEqual(reference.Depth, new SyntheticScenes(seed: 8).Render(0).Depth);
        Assert.NotEqual(reference.Depth, new SyntheticScenes(seed: 7, split: SceneSplit.Validation).Render(0).Depth);
    }

    [Fact]
    public void AHigherResolutionSamplesTheSameSceneAtTheSameRays()
    {
        // Pixel (y, x) at 96×128 and pixel (3y + 1, 3x + 1) at 288×384 have the same centre ray.
        var low = Scenes.Render(5);
        var high = new SyntheticScenes(seed: 7, height: 288, width: 384).Render(5);
        Assert.Equal(low.Info.Objects.Select(o => o with { VisiblePixels = 0 }), high.Info.Objects.Select(o => o with { VisiblePixels = 0 }));
        for (int y = 0; y < 96; y++)
        {
            for (int x = 0; x < 128; x++)
            {
                int p = y * 128 + x, q = (3 * y + 1) * 384 + 3 * x + 1;
                Assert.Equal(low.Labels[p], high.Labels[q]);
                Assert.Equal(low.Depth[p], high.Depth[q], 1e-5 * low.Depth[p]);
            }
        }
    }

    [Fact]
    public void SpherePixelsHaveBothPrincipalCurvaturesEqualToOneOverTheRadius()
    {
        var (index, sphere) = Enumerable.Range(0, 40)
            .SelectMany(i => Scenes.Scene(i).Objects.Where(o => o.ClassId == SceneClasses.Sphere).Select(o => (Index: (long)i, Object: o)))
            .First(found => Scenes.Render(found.Index).Instances.Contains(found.Object.InstanceId));
        double radius = ((Sphere)sphere.Parts[0]).Radius;
        var s = Scenes.Render(index);
        int pixels = s.Height * s.Width;
        for (int p = 0; p < pixels; p++)
        {
            if (s.Instances[p] != sphere.InstanceId) continue;
            Assert.Equal(1 / radius, s.Curvature[p], 1e-5);
            Assert.Equal(1 / radius, s.Curvature[pixels + p], 1e-5);
        }
    }

    [Fact]
    public void TorusCurvaturesAreOneOverTheTubeRadiusAndCosVOverRho()
    {
        var (index, torus) = Enumerable.Range(0, 40)
            .SelectMany(i => Scenes.Scene(i).Objects.Where(o => o.ClassId == SceneClasses.Torus).Select(o => (Index: (long)i, Object: o)))
            .First(found => Scenes.Render(found.Index).Instances.Contains(found.Object.InstanceId));
        var shape = (Torus)torus.Parts[0];
        var s = Scenes.Render(index);
        int pixels = s.Height * s.Width;
        for (int p = 0; p < pixels; p++)
        {
            if (s.Instances[p] != torus.InstanceId) continue;
            double x = s.ObjectCoordinates[p], z = s.ObjectCoordinates[2 * pixels + p], rho = Math.Sqrt(x * x + z * z);
            Assert.Equal(1 / shape.MinorRadius, s.Curvature[p], 1e-4);
            Assert.Equal((rho - shape.MajorRadius) / (shape.MinorRadius * rho), s.Curvature[pixels + p], 1e-3);
        }
    }

    [Fact]
    public void ASphereOnTheOpticalAxisIsSeenAtItsFrontPointWithTheRoomBehindIt()
    {
        // Camera at z = −3 looking along +z; a sphere of radius 0.5 at the world origin. The odd resolution puts
        // pixel (32, 32)'s centre ray exactly on the optical axis.
        var scene = HandBuiltScene(new Sphere(Vec3.Zero, 0.5), SceneClasses.Sphere);
        var s = SceneRenderer.Render(scene, 65, 65);
        int centre = 32 * 65 + 32, pixels = 65 * 65, hits = 0;
        Assert.Equal(2.5, s.Depth[centre], 1e-6);
        Assert.Equal([0f, 0f, -1f], [s.Normals[centre], s.Normals[pixels + centre], s.Normals[2 * pixels + centre]]);
        // Every pixel against the ray-sphere intersection in camera space (centre (0, 0, 3), radius 0.5): the ray
        // t·(rx, ry, 1) meets it where t²|d|² − 6t + 8.75 = 0; t is the depth, the normal (t·d − centre)/0.5.
        for (int p = 0; p < pixels; p++)
        {
            var (rx, ry) = RayAt(s.Info, p, 65);
            double dd = rx * rx + ry * ry + 1, discriminant = 36 - 4 * dd * 8.75;
            if (Math.Abs(discriminant) < 1e-6) continue; // grazing rays: either outcome is right
            if (discriminant < 0)
            {
                Assert.Equal(0, s.Instances[p]);
                Assert.True(s.Depth[p] > 3.5, $"pixel {p}: depth {s.Depth[p]} in front of the sphere's back");
                continue;
            }
            double t = (6 - Math.Sqrt(discriminant)) / (2 * dd);
            Assert.Equal(1, s.Instances[p]);
            Assert.Equal(t, s.Depth[p], 1e-5);
            Assert.Equal(t * rx / 0.5, s.Normals[p], 1e-4);
            Assert.Equal(t * ry / 0.5, s.Normals[pixels + p], 1e-4);
            Assert.Equal((t - 3) / 0.5, s.Normals[2 * pixels + p], 1e-4);
            hits++;
        }
        Assert.True(hits > 100, $"{hits} sphere pixels");
    }

    [Fact]
    public void ACylinderSideBendsOnlyAroundItsAxisAndItsCapsAreFlat()
    {
        // A cylinder of radius 0.4 standing below the camera, which looks along +z: the camera sees its side
        // and, from above, its top cap.
        var scene = HandBuiltScene(new Frustum(new Vec3(0, -1.5, 0), 1.2, 0.4, 0.4), SceneClasses.Cylinder);
        var s = SceneRenderer.Render(scene, 65, 65);
        int pixels = 65 * 65, side = 0, cap = 0;
        for (int p = 0; p < pixels; p++)
        {
            if (s.Instances[p] != 1) continue;
            double ny = s.Normals[pixels + p];
            (double k1, double k2) = (s.Curvature[p], s.Curvature[pixels + p]);
            if (Math.Abs(ny) > 0.999)
            {
                Assert.Equal((0.0, 0.0), (k1, k2));
                cap++;
            }
            else
            {
                Assert.Equal(2.5, k1, 1e-9);
                Assert.Equal(0, k2);
                side++;
            }
        }
        Assert.True(side > 0 && cap > 0, $"{side} side and {cap} cap pixels");
    }

    /// <summary>A 10 m × 4 m × 10 m room (floor at y = 0) with one object whose frame sits at (0, 2, 0), seen
    /// without noise by a camera 3 m in front of it, at the same height, looking along +z.</summary>
    private static Scene HandBuiltScene(Primitive part, int classId)
    {
        var plain = new Texture(TextureKind.Checker, new Vec3(0.5, 0.5, 0.5), new Vec3(0.5, 0.5, 0.5), 1, new Vec3(1, 0, 0), Vec3.Zero, 0);
        var room = new Room(10, 4, 10, plain, plain, plain);
        var lift = new Vec3(0, 2, 0);
        var camera = new PinholeCamera(new RigidTransform(Mat3.FromColumns(new Vec3(-1, 0, 0), new Vec3(0, -1, 0), new Vec3(0, 0, 1)),
            new Vec3(0, 0, -3) + lift), Math.PI / 3);
        var o = new SceneObject(1, classId, [part], new RigidTransform(Mat3.Identity, lift), plain);
        return new Scene(room, [o], [new Light(LightKind.Directional, new Vec3(0, 1, 0), 0.5)], 0.3, camera, new SensorNoise(0, 0, 0, 0));
    }
}
