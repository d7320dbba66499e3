using NativeMtl.Data;
using NativeMtl.Data.Synthetic;

namespace NativeMtl.Pose;

/// <summary>The pose errors of seed 000 and the BOP conventions, on an object's model points (in its own frame).</summary>
public static class PoseErrors
{
    /// <summary>ADD: the mean distance between each model point under the true pose and the same point under the estimate.</summary>
    public static double Add(RigidTransform truth, RigidTransform estimate, IReadOnlyList<Vec3> points) =>
        points.Average(p => (truth.Apply(p) - estimate.Apply(p)).Length);

    /// <summary>ADD-S: the mean distance from each model point under the true pose to the closest model point under the
    /// estimate, so that a pose differing by a symmetry of the object costs nothing.</summary>
    public static double AddS(RigidTransform truth, RigidTransform estimate, IReadOnlyList<Vec3> points)
    {
        var moved = points.Select(estimate.Apply).ToArray();
        return points.Average(p =>
        {
            var at = truth.Apply(p);
            return Math.Sqrt(moved.Min(q => Vec3.Dot(at - q, at - q)));
        });
    }

    /// <summary>The angle of the rotation between two orientations, arccos((tr(AᵀB) − 1)/2), in degrees.</summary>
    public static double RotationDegrees(Mat3 a, Mat3 b)
    {
        var relative = a.Transpose() * b;
        double cosine = Math.Clamp(0.5 * (relative.M00 + relative.M11 + relative.M22 - 1), -1, 1);
        return Math.Acos(cosine) * 180 / Math.PI;
    }

    /// <summary>The distance between the translations, in metres.</summary>
    public static double TranslationMetres(RigidTransform truth, RigidTransform estimate) => (truth.Translation - estimate.Translation).Length;

    /// <summary>The largest distance between two model points: the object's diameter d of the ADD &lt; 0.1·d criterion.</summary>
    public static double Diameter(IReadOnlyList<Vec3> points)
    {
        double largest = 0;
        for (int i = 0; i < points.Count; i++)
            for (int j = i + 1; j < points.Count; j++) largest = Math.Max(largest, (points[i] - points[j]).Length);
        return largest;
    }
}

/// <summary>
/// Which object classes are scored by ADD-S: those whose shape has a proper rotational symmetry, so that distinct poses
/// look alike (BOP's and seed 000's convention for such objects). Every class of the scenes but one has one: sphere,
/// cylinder, cone, torus, capsule and lamp (coaxial parts) about their axis; the box (three half-extents) by half
/// turns about each axis; the square pyramid by quarter turns; the table (rectangular top, legs at its corners) by a half
/// turn. The chair (a back on one side) has only a mirror symmetry, which no rotation realises: ADD.
/// </summary>
public static class PoseSymmetry
{
    public static bool IsSymmetric(int classId) => classId switch
    {
        SceneClasses.Chair => false,
        _ when SceneClasses.IsObject(classId) => true,
        _ => throw new ArgumentException($"class {classId} is not an object class of the scenes"),
    };
}
