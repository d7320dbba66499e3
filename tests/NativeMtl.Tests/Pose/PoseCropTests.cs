using NativeMtl.Data;
using NativeMtl.Data.Synthetic;

namespace NativeMtl.Tests.Pose;

/// <summary>The pose crops: their intrinsics, their fields confined to the object, and their determinism.</summary>
public class PoseCropTests
{
    private static readonly PoseCrops Crops = new(seed: 0, SceneSplit.Train, count: 50);

    /// <summary>Each mask pixel's object coordinate X, moved by the object's pose and projected through the crop's
    /// intrinsics, lands on that pixel's centre (u + 0.5, v + 0.5); its Δdepth is (R·X + t)_z − t_z.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(23)]
    public void ACropsIntrinsicsReprojectTheObjectCoordinatesOntoTheMaskPixels(long index)
    {
        var sample = DenseSample.Load(Crops, index);
        var k = sample.Info.Camera!.Value;
        var pose = sample.Info.Objects.Single();
        int pixels = sample.Height * sample.Width, checkedPixels = 0;
        for (int p = 0; p < pixels; p++)
        {
            if (sample.Labels[p] == 0) continue;
            var x = new Vec3(sample.ObjectCoordinates[p], sample.ObjectCoordinates[pixels + p], sample.ObjectCoordinates[2 * pixels + p]);
            var c = pose.Rotation * x + pose.Translation;
            Assert.Equal(p % sample.Width + 0.5, k.Fx * c.X / c.Z + k.Cx, 0.01);
            Assert.Equal(p / sample.Width + 0.5, k.Fy * c.Y / c.Z + k.Cy, 0.01);
            Assert.Equal(c.Z - pose.Translation.Z, sample.Depth[p], 1e-5);
            checkedPixels++;
        }
        Assert.Equal(pose.VisiblePixels, checkedPixels);
        Assert.True(checkedPixels >= 0.05 * pixels, $"the object covers {checkedPixels} of {pixels} pixels");
    }

    /// <summary>The crop is a box 1.5 × (±10%) the object's larger extent in the 96×128 view, its centre shifted by at most
    /// 10% of its side: the object's box in the view, taken into the crop through the two cameras (the same rays), spans
    /// 1/1.65 to 1/1.35 of the crop along its larger side and is centred within 10% of the crop's centre.</summary>
    [Theory]
    [InlineData(0)]
    [InlineData(7)]
    [InlineData(23)]
    public void ACropFramesItsObjectsViewBoxNearItsCentreAtAboutTwoThirdsOfItsSize(long index)
    {
        var sample = DenseSample.Load(Crops, index);
        var (scene, sceneIndex, instance) = Crops.Object(index);
        var view = SceneRenderer.Render(scene, 96, 128, sceneIndex);
        var on = Enumerable.Range(0, view.Instances.Length).Where(p => view.Instances[p] == instance).ToList();
        double u0 = on.Min(p => p % 128), u1 = on.Max(p => p % 128) + 1, v0 = on.Min(p => p / 128), v1 = on.Max(p => p / 128) + 1;
        CameraIntrinsics kv = scene.Camera.Intrinsics(96, 128), k = sample.Info.Camera!.Value;
        double U(double u) => (u - kv.Cx) / kv.Fx * k.Fx + k.Cx;
        double V(double v) => (v - kv.Cy) / kv.Fy * k.Fy + k.Cy;
        double extent = Math.Max(U(u1) - U(u0), V(v1) - V(v0)) / sample.Width;
        Assert.InRange(extent, 1 / 1.65 - 1e-9, 1 / 1.35 + 1e-9);
        Assert.InRange(0.5 * (U(u0) + U(u1)) / sample.Width, 0.4 - 1e-9, 0.6 + 1e-9);
        Assert.InRange(0.5 * (V(v0) + V(v1)) / sample.Height, 0.4 - 1e-9, 0.6 + 1e-9);
    }

    [Fact]
    public void OffTheMaskTheObjectsFieldsAreZeroAndTheMaskIsTheInstanceMap()
    {
        var sample = DenseSample.Load(Crops, 3);
        int pixels = sample.Height * sample.Width;
        Assert.Equal(sample.Labels, sample.Instances);
        Assert.Contains(0, sample.Labels);
        for (int p = 0; p < pixels; p++)
        {
            if (sample.Labels[p] == 1) continue;
            Assert.Equal(0f, sample.Depth[p]);
            Assert.Equal([0f, 0, 0], new[] { sample.ObjectCoordinates[p], sample.ObjectCoordinates[pixels + p], sample.ObjectCoordinates[2 * pixels + p] });
        }
    }

    [Fact]
    public void ASampleIsTheSameEveryTimeItIsLoaded()
    {
        var a = DenseSample.Load(Crops, 11);
        var b = DenseSample.Load(new PoseCrops(0, SceneSplit.Train, 50), 11);
        Assert.Equal(a.Image, b.Image);
        Assert.Equal(a.Info.Camera, b.Info.Camera);
    }

    /// <summary>An object needs the minimum of visible pixels in the camera's view: with a minimum no object meets, the
    /// sample is refused with the scenes it tried; with one some scenes lack, those are skipped for later ones.</summary>
    [Fact]
    public void ScenesWithoutAnObjectVisibleEnoughAreSkippedAndAllTooFewIsAClearError()
    {
        var error = Assert.Throws<InvalidOperationException>(() => DenseSample.Load(new PoseCrops(0, SceneSplit.Train, 50, minimumPixels: 12_289), 0));
        Assert.Equal("PoseCrops: no object shows 12289 or more pixels in scenes 0, 50, … (64 tried) of split Train", error.Message);
        var demanding = new PoseCrops(0, SceneSplit.Train, 50, minimumPixels: 1500);
        var indices = Enumerable.Range(0, 20).Select(i => demanding.Object(i).SceneIndex).ToList();
        Assert.All(indices.Select((scene, i) => scene % 50 == i), Assert.True);
        Assert.Contains(indices.Select((scene, i) => scene != i), skipped => skipped);
    }

    [Fact]
    public void TheFullImageVariantKeepsTheCamerasIntrinsicsAndDepth()
    {
        var full = new PoseCrops(0, SceneSplit.Train, 50, height: 96, width: 128, crop: false);
        var sample = DenseSample.Load(full, 2);
        var (scene, _, _) = full.Object(2);
        Assert.Equal(scene.Camera.Intrinsics(96, 128), sample.Info.Camera);
        Assert.All(sample.Depth, d => Assert.True(d > 0));
    }
}
