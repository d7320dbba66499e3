using NativeMtl.Data;
using NativeMtl.Data.Synthetic;
using NativeMtl.Pose;

namespace NativeMtl.Tests.Pose;

/// <summary>The report's panel of poses.</summary>
public class PosePanelTests
{
    /// <summary>The object lies inside its bounding box, so under the true pose the box's projected corners enclose every
    /// pixel of the object's mask.</summary>
    [Theory]
    [InlineData(1)]
    [InlineData(12)]
    public void TheTrueBoxEnclosesTheObjectsMask(long index)
    {
        var crops = new PoseCrops(0, SceneSplit.Validation, 20);
        var sample = DenseSample.Load(crops, index);
        var (scene, _, instance) = crops.Object(index);
        var truth = sample.Info.Objects.Single();
        var corners = PosePanel.Project(sample.Info.Camera!.Value, new RigidTransform(truth.Rotation, truth.Translation),
            PosePanel.BoxCorners(scene.Objects.Single(o => o.InstanceId == instance))).Select(c => c!.Value).ToList();
        for (int p = 0; p < sample.Labels.Length; p++)
        {
            if (sample.Labels[p] == 0) continue;
            double u = p % sample.Width + 0.5, v = p / sample.Width + 0.5;
            Assert.InRange(u, corners.Min(c => c.U), corners.Max(c => c.U));
            Assert.InRange(v, corners.Min(c => c.V), corners.Max(c => c.V));
        }
    }

    [Fact]
    public void AMissShowsTheTrueBoxAloneAndSaysSo()
    {
        var pose = new RigidTransform(Mat3.Identity, new Vec3(0, 0, 2));
        Vec3[] corners = [.. Enumerable.Range(0, 8).Select(i => new Vec3((i & 1) - 0.5, (i & 2) / 2 - 0.5, (i & 4) / 4 - 0.5))];
        var example = new PoseExample(5, SceneClasses.Box, Png.Encode(1, 1, [0, 0, 0], PngColor.Rgb), 1, 1, new CameraIntrinsics(1, 1, 0.5, 0.5), pose, null, corners);
        var svg = PosePanel.Svg([example]);
        Assert.Single(svg.Split("<path").Skip(1));
        Assert.Contains("#5 box: no pose", svg);
        Assert.Equal(2, PosePanel.Svg([example with { Estimate = pose }]).Split("<path").Length - 1);
    }
}
