using NativeMtl.Data.Synthetic;

namespace NativeMtl.Pose;

/// <summary>
/// Pose metrics over a set of samples (seed 000 Tables 1, 3 and 5): the share whose ADD (ADD-S for a symmetric class,
/// <see cref="PoseSymmetry"/>) is below 0.1·d, a miss (no pose) counting as wrong; the mean rotation (°) and translation
/// (m) errors over the samples with a pose (the rotation error of a symmetric object includes its symmetry's turn, as
/// the plain angle does); and the share of misses.
/// </summary>
public sealed class PoseAccuracy
{
    private int _samples, _correct, _solved;
    private double _rotation, _translation;

    /// <summary>One sample: its class, true pose, estimated pose (null for a miss) and model points.</summary>
    public void Add(int classId, RigidTransform truth, RigidTransform? estimate, IReadOnlyList<Vec3> points)
    {
        _samples++;
        if (estimate is not { } pose) return;
        _solved++;
        double error = PoseSymmetry.IsSymmetric(classId) ? PoseErrors.AddS(truth, pose, points) : PoseErrors.Add(truth, pose, points);
        if (error < 0.1 * PoseErrors.Diameter(points)) _correct++;
        _rotation += PoseErrors.RotationDegrees(truth.Rotation, pose.Rotation);
        _translation += PoseErrors.TranslationMetres(truth, pose);
    }

    public int Samples => _samples;

    /// <summary>Metric name to value; NaN errors when no sample has a pose.</summary>
    public IReadOnlyDictionary<string, double> Metrics => new Dictionary<string, double>
    {
        ["add_s_01d"] = _samples == 0 ? double.NaN : (double)_correct / _samples,
        ["rotation_error"] = _solved == 0 ? double.NaN : _rotation / _solved,
        ["translation_error"] = _solved == 0 ? double.NaN : _translation / _solved,
        ["pnp_misses"] = _samples == 0 ? double.NaN : 1 - (double)_solved / _samples,
    };
}
