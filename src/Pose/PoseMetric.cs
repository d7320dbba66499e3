using NativeMtl.Data;
using NativeMtl.Data.Synthetic;
using NativeMtl.Models;

namespace NativeMtl.Pose;

/// <summary>
/// The pose task's metrics over a validation set (<see cref="PoseAccuracy"/>): for each sample, the predicted mask
/// (object logit above background) selects its pixels, whose predicted object coordinates and pixel centres go to PnP
/// with the sample's intrinsics; the pose found is scored against the true one on the object's model points
/// (<see cref="SceneObject.SurfacePoints"/>, a 12×12 grid from each side). The first <see cref="PanelSize"/> samples are
/// kept for the report's panel (<see cref="PosePanel"/>).
/// </summary>
public sealed class PoseMetric(PoseCrops dataset)
{
    private const int GridPerSide = 12;
    public const int PanelSize = 8;
    private PoseAccuracy _accuracy = new();
    private readonly List<PoseExample> _examples = [];

    /// <summary>Scores a batch's predictions [N, 5, H, W] (coordinates, then the mask's two logits).</summary>
    public void Update(Tensor prediction, DenseBatch batch)
    {
        int n = prediction.Shape[0], height = prediction.Shape[2], width = prediction.Shape[3], pixels = height * width;
        var values = Raw.Ops.Cast(prediction, DType.Float64).ToArray<double>();
        // The input images only while the panel still takes samples.
        var images = _examples.Count < PanelSize ? batch.Image.ToArray<float>() : null;
        for (int i = 0; i < n; i++)
        {
            var info = batch.Samples[i];
            int at = i * 5 * pixels;
            var on = Enumerable.Range(0, pixels).Where(p => values[at + 4 * pixels + p] > values[at + 3 * pixels + p]).ToList();
            var estimate = PerspectiveNPoint.Solve(
                on.Select(p => new Vec3(values[at + p], values[at + pixels + p], values[at + 2 * pixels + p])).ToList(),
                on.Select(p => (p % width + 0.5, p / width + 0.5)).ToList(),
                info.Camera ?? throw new ArgumentException($"sample {info.Index} has no intrinsics: the pose metric needs the pose data"));
            var truth = info.Objects.Single();
            var (scene, _, instance) = dataset.Object(info.Index);
            var shape = scene.Objects.Single(o => o.InstanceId == instance);
            var truePose = new RigidTransform(truth.Rotation, truth.Translation);
            _accuracy.Add(truth.ClassId, truePose, estimate, shape.SurfacePoints(GridPerSide));
            if (images is not null && _examples.Count < PanelSize)
                _examples.Add(new PoseExample(info.Index, truth.ClassId, Png.Encode(width, height, SampleImages.Rgb(images, i * 3 * pixels, pixels), PngColor.Rgb),
                    width, height, info.Camera.Value, truePose, estimate, PosePanel.BoxCorners(shape)));
        }
    }

    public IReadOnlyList<MetricValue> Compute() => _accuracy.Metrics.Select(m => MetricValue.Of(m.Key, m.Value)).ToList();

    /// <summary>The report's panel of the first samples scored (an SVG).</summary>
    public string Panel() => PosePanel.Svg(_examples);

    public void Reset()
    {
        _accuracy = new PoseAccuracy();
        _examples.Clear();
    }
}
