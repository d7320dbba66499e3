using System.Collections.Concurrent;
using NativeMtl.Data.Synthetic;

namespace NativeMtl.Data;

/// <summary>
/// Seed 000's pose data (DESIGN §15) from the synthetic scenes: sample i is one object of a scene, seen through a crop
/// around its ground-truth box (jittered, standing in for a detector) rendered at the sample's size through the crop's
/// own intrinsics (the camera's, shifted to the box and scaled), so every annotation stays exact. Other objects occlude
/// it as the renderer has them. Fields, all confined to the chosen object where the object is meant:
/// <list type="bullet">
/// <item>Labels and Instances: the object's mask (1 on its visible pixels, 0 elsewhere).</item>
/// <item>ObjectCoordinates: its surface points in its own frame, 0 off the mask.</item>
/// <item>Depth: Δdepth, depth minus the depth of the object's centre (t_z), 0 off the mask; with <c>crop</c> false, the
/// full image's depth (the full-image variant, through the camera's own intrinsics).</item>
/// <item>Normals, Curvature, Image: the renderer's, everywhere (the image is also the reconstruction target).</item>
/// </list>
/// The info holds the sample's intrinsics and the object's pose in the camera frame. Deterministic from (seed, split,
/// index): the object is drawn among those with at least <see cref="MinimumPixels"/> visible pixels in the 96×128 view of
/// scene i; a scene without one is skipped for scene i + Count, then i + 2·Count, and so on.
/// </summary>
public sealed class PoseCrops : IDenseDataset
{
    public const int DefaultSize = 64;
    public const int DefaultMinimumPixels = 40;

    /// <summary>The camera view in which objects are chosen and boxed.</summary>
    private const int ViewHeight = 96, ViewWidth = 128;

    /// <summary>Set in the stream word of the object and box draws: scenes use the split's stream, noise bit 31.</summary>
    private const uint CropStreamBit = 0x4000_0000;

    /// <summary>Scenes tried for one sample before giving up.</summary>
    private const int MaxScenes = 64;

    /// <summary>The box side over the object's larger extent, and the jitter of its scale and centre.</summary>
    private const double BoxScale = 1.5, ScaleJitter = 0.1, ShiftJitter = 0.1;

    /// <summary>Each sample's scene, object and box, found once (a sample is the same every epoch).</summary>
    private readonly ConcurrentDictionary<long, Chosen> _chosen = new();

    public PoseCrops(ulong seed, SceneSplit split, long count, int height = DefaultSize, int width = DefaultSize, bool crop = true,
        int minimumPixels = DefaultMinimumPixels)
    {
        if (height <= 0 || width <= 0) throw new ArgumentException($"PoseCrops: the size must be positive, not {height}×{width}");
        if (count <= 0) throw new ArgumentException($"PoseCrops: the count must be positive, not {count}");
        if (minimumPixels < 1) throw new ArgumentException($"PoseCrops: the minimum visible pixels must be at least 1, not {minimumPixels}");
        Seed = seed;
        Split = split;
        Count = count;
        Height = height;
        Width = width;
        Crop = crop;
        MinimumPixels = minimumPixels;
    }

    public ulong Seed { get; }
    public SceneSplit Split { get; }
    public long Count { get; }
    public int Height { get; }
    public int Width { get; }

    /// <summary>Crops around the object (Δdepth), or the camera's whole image (depth).</summary>
    public bool Crop { get; }

    public int MinimumPixels { get; }

    /// <summary>Background and object.</summary>
    public int ClassCount => 2;

    public DenseFields Fields => DenseFields.All;

    /// <summary>The scene sample <paramref name="index"/> shows and the instance id of its object.</summary>
    public (Scene Scene, long SceneIndex, int InstanceId) Object(long index)
    {
        var chosen = Choose(index);
        return (chosen.Scene, chosen.SceneIndex, chosen.InstanceId);
    }

    public SampleInfo Load(long index, int epoch, SampleView target)
    {
        var chosen = Choose(index);
        var info = SceneRenderer.Render(chosen.Scene, chosen.SceneIndex, target, chosen.Camera);
        var pose = info.Objects.Single(o => o.InstanceId == chosen.InstanceId);
        int visible = Isolate(target, pose);
        return new SampleInfo(index, chosen.Camera, [pose with { VisiblePixels = visible }]);
    }

    /// <summary>A sample's scene, object and the intrinsics it is rendered through.</summary>
    private sealed record Chosen(Scene Scene, long SceneIndex, int InstanceId, CameraIntrinsics Camera);

    private Chosen Choose(long index) => _chosen.GetOrAdd(index, Find);

    /// <summary>The first of scenes i, i + Count, … with an object of enough visible pixels; the object drawn among those
    /// and then the crop's jitter, from one stream (split | bit 30 under the seed, counter index); its pixel box
    /// [u0, u1) × [v0, v1) in the 96×128 view gives the crop.</summary>
    private Chosen Find(long index)
    {
        var view = new DenseSample(ViewHeight, ViewWidth, DenseFields.All);
        for (int attempt = 0; attempt < MaxScenes; attempt++)
        {
            long sceneIndex = index + attempt * Count;
            var scene = SceneGenerator.Generate(Seed, (uint)Split, sceneIndex);
            var viewCamera = scene.Camera.Intrinsics(ViewHeight, ViewWidth);
            var candidates = SceneRenderer.Render(scene, sceneIndex, view.View(), viewCamera, shade: false).Objects.Where(o => o.VisiblePixels >= MinimumPixels).ToList();
            if (candidates.Count == 0) continue;
            var random = new SceneRandom(Seed, (uint)Split | CropStreamBit, index);
            var chosen = candidates[random.Int(candidates.Count)].InstanceId;
            if (!Crop) return new Chosen(scene, sceneIndex, chosen, scene.Camera.Intrinsics(Height, Width));
            int u0 = ViewWidth, v0 = ViewHeight, u1 = 0, v1 = 0;
            for (int p = 0; p < view.Instances.Length; p++)
            {
                if (view.Instances[p] != chosen) continue;
                int u = p % ViewWidth, v = p / ViewWidth;
                (u0, v0, u1, v1) = (Math.Min(u0, u), Math.Min(v0, v), Math.Max(u1, u + 1), Math.Max(v1, v + 1));
            }
            return new Chosen(scene, sceneIndex, chosen, CropIntrinsics(viewCamera, (u0, v0, u1, v1), random));
        }
        throw new InvalidOperationException(
            $"PoseCrops: no object shows {MinimumPixels} or more pixels in scenes {index}, {index + Count}, … ({MaxScenes} tried) of split {Split}");
    }

    /// <summary>The box grown to the sample's aspect and by <see cref="BoxScale"/>, its scale and centre jittered; the
    /// view's intrinsics shifted to its corner and scaled to the sample's pixels.</summary>
    private CameraIntrinsics CropIntrinsics(CameraIntrinsics view, (int U0, int V0, int U1, int V1) box, SceneRandom random)
    {
        double aspect = (double)Width / Height;
        double boxHeight = Math.Max(box.V1 - box.V0, (box.U1 - box.U0) / aspect) * BoxScale * random.Uniform(1 - ScaleJitter, 1 + ScaleJitter);
        double boxWidth = boxHeight * aspect;
        double centreU = 0.5 * (box.U0 + box.U1) + random.Uniform(-ShiftJitter, ShiftJitter) * boxWidth;
        double centreV = 0.5 * (box.V0 + box.V1) + random.Uniform(-ShiftJitter, ShiftJitter) * boxHeight;
        double scale = Height / boxHeight;
        return new CameraIntrinsics(view.Fx * scale, view.Fy * scale, (view.Cx - (centreU - 0.5 * boxWidth)) * scale,
            (view.Cy - (centreV - 0.5 * boxHeight)) * scale);
    }

    /// <summary>Confines the object's fields to its mask (see the class summary); returns its visible pixels.</summary>
    private int Isolate(SampleView target, ObjectPose pose)
    {
        int pixels = target.Height * target.Width, visible = 0;
        for (int p = 0; p < pixels; p++)
        {
            bool on = target.Instances[p] == pose.InstanceId;
            visible += on ? 1 : 0;
            target.Labels[p] = target.Instances[p] = on ? 1 : 0;
            if (Crop) target.Depth[p] = on ? target.Depth[p] - (float)pose.Translation.Z : 0;
            if (on) continue;
            target.ObjectCoordinates[p] = target.ObjectCoordinates[pixels + p] = target.ObjectCoordinates[2 * pixels + p] = 0;
        }
        return visible;
    }
}
