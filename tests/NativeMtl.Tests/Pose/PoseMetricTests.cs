using NativeMtl.Data;
using NativeMtl.Data.Synthetic;
using NativeMtl.Pose;

namespace NativeMtl.Tests.Pose;

/// <summary>ADD, ADD-S and the PnP solve, on hand-made poses and on a rendered object.</summary>
public class PoseMetricTests
{
    /// <summary>Four points on a square about the z axis, side √2: a quarter turn maps the set onto itself.</summary>
    private static readonly Vec3[] Square = [new(1, 0, 0), new(0, 1, 0), new(-1, 0, 0), new(0, -1, 0)];

    private static readonly RigidTransform Identity = new(Mat3.Identity, Vec3.Zero);

    [Fact]
    public void AShiftOfTheWholeObjectIsItsAddAndAddS()
    {
        var shifted = new RigidTransform(Mat3.Identity, new Vec3(0, 0, 0.1));
        Assert.Equal(0.1, PoseErrors.Add(Identity, shifted, Square), 1e-15);
        Assert.Equal(0.1, PoseErrors.AddS(Identity, shifted, Square), 1e-15);
        Assert.Equal(0.1, PoseErrors.TranslationMetres(Identity, shifted), 1e-15);
    }

    /// <summary>A quarter turn about z moves every point to its neighbour, √2 away (ADD), onto another point of the set
    /// (ADD-S 0); the rotation error is 90°.</summary>
    [Fact]
    public void AQuarterTurnOfASquareCostsAddTheSideAndAddSNothing()
    {
        var turned = new RigidTransform(Mat3.RotationZ(0.5 * Math.PI), Vec3.Zero);
        Assert.Equal(Math.Sqrt(2), PoseErrors.Add(Identity, turned, Square), 1e-12);
        Assert.Equal(0, PoseErrors.AddS(Identity, turned, Square), 1e-12);
        Assert.Equal(90, PoseErrors.RotationDegrees(Identity.Rotation, turned.Rotation), 1e-9);
        Assert.Equal(2, PoseErrors.Diameter(Square), 1e-15);
    }

    /// <summary>Five samples of a square (d = 2): shifts of 0.1 (right) and 0.3 (wrong), a miss, and a quarter turn, which
    /// maps the square onto itself: right for a pyramid (ADD-S 0), wrong for the chair (ADD √2 ≥ 0.2). Errors average over
    /// the four poses found: translation (0.1 + 0.3 + 0 + 0)/4, rotation (0 + 0 + 90 + 90)/4.</summary>
    [Fact]
    public void AccuracyScoresSymmetricClassesByAddSCountsAMissAsWrongAndAveragesErrorsOverThePosesFound()
    {
        var accuracy = new PoseAccuracy();
        var turned = new RigidTransform(Mat3.RotationZ(0.5 * Math.PI), Vec3.Zero);
        accuracy.Add(SceneClasses.Sphere, Identity, new RigidTransform(Mat3.Identity, new Vec3(0.1, 0, 0)), Square);
        accuracy.Add(SceneClasses.Sphere, Identity, new RigidTransform(Mat3.Identity, new Vec3(0.3, 0, 0)), Square);
        accuracy.Add(SceneClasses.Sphere, Identity, null, Square);
        accuracy.Add(SceneClasses.Pyramid, Identity, turned, Square);
        accuracy.Add(SceneClasses.Chair, Identity, turned, Square);
        Assert.Equal(2.0 / 5, accuracy.Metrics["add_s_01d"], 1e-15);
        Assert.Equal(0.1, accuracy.Metrics["translation_error"], 1e-15);
        Assert.Equal(45, accuracy.Metrics["rotation_error"], 1e-9);
        Assert.Equal(1.0 / 5, accuracy.Metrics["pnp_misses"], 1e-15);
    }

    [Fact]
    public void OnlyTheChairIsScoredByAdd()
    {
        Assert.Equal([SceneClasses.Chair], Enumerable.Range(SceneClasses.FirstObject, SceneClasses.Count - SceneClasses.FirstObject).Where(c => !PoseSymmetry.IsSymmetric(c)));
    }

    /// <summary>A rendered crop's own mask pixels and object coordinates (exact to float rounding) give back the object's
    /// pose through PnP to under 1 mm and 0.1°.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(9)]
    public void PnpRecoversARenderedObjectsPoseFromItsTrueCorrespondences(long index)
    {
        var sample = DenseSample.Load(new PoseCrops(0, SceneSplit.Validation, 20), index);
        int pixels = sample.Height * sample.Width;
        var on = Enumerable.Range(0, pixels).Where(p => sample.Labels[p] == 1).ToList();
        var objectPoints = on.Select(p => new Vec3(sample.ObjectCoordinates[p], sample.ObjectCoordinates[pixels + p], sample.ObjectCoordinates[2 * pixels + p])).ToList();
        var imagePoints = on.Select(p => (p % sample.Width + 0.5, p / sample.Width + 0.5)).ToList();
        var truth = sample.Info.Objects.Single();
        var estimate = PerspectiveNPoint.Solve(objectPoints, imagePoints, sample.Info.Camera!.Value) ?? throw new Xunit.Sdk.XunitException("PnP found no pose");
        Assert.True(PoseErrors.TranslationMetres(new RigidTransform(truth.Rotation, truth.Translation), estimate) < 1e-3);
        Assert.True(PoseErrors.RotationDegrees(truth.Rotation, estimate.Rotation) < 0.1);
    }

    [Fact]
    public void TooFewOrDegenerateCorrespondencesAreAMissNotAnException()
    {
        var camera = new CameraIntrinsics(100, 100, 32, 32);
        Assert.Null(PerspectiveNPoint.Solve(Square, [(1, 1), (2, 2), (3, 3), (4, 4)], camera));
        var same = Enumerable.Repeat(new Vec3(0.1, 0.1, 0.1), 20).ToList();
        Assert.Null(PerspectiveNPoint.Solve(same, Enumerable.Repeat((10.0, 10.0), 20).ToList(), camera));
    }
}
