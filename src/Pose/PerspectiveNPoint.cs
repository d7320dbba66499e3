using NativeMtl.Data;
using NativeMtl.Data.Synthetic;
using OpenCvSharp;

namespace NativeMtl.Pose;

/// <summary>
/// An object's pose from 2D–3D correspondences: OpenCV's solvePnPRansac (EPnP on minimal samples, then the iterative
/// refinement on the inliers) through OpenCvSharp4. Image points are continuous pixel coordinates, pixel (u, v)'s centre
/// at (u + 0.5, v + 0.5), as <see cref="CameraIntrinsics"/> has them; no lens distortion. A failed or degenerate
/// solution (too few points, OpenCV's refusal or error, a non-finite result, the object behind the camera) is null,
/// never an exception: pose metrics count it as a miss.
/// </summary>
public static class PerspectiveNPoint
{
    /// <summary>Fewer correspondences than this are a miss: EPnP's minimal sample is 4, and RANSAC needs spare ones.</summary>
    public const int MinimumPoints = 6;

    /// <param name="reprojectionError">RANSAC's inlier threshold, in pixels.</param>
    public static RigidTransform? Solve(IReadOnlyList<Vec3> objectPoints, IReadOnlyList<(double U, double V)> imagePoints, CameraIntrinsics camera,
        double reprojectionError = 3, int iterations = 200)
    {
        if (objectPoints.Count != imagePoints.Count)
            throw new ArgumentException($"PnP: {objectPoints.Count} object points but {imagePoints.Count} image points");
        if (objectPoints.Count < MinimumPoints || Collinear(objectPoints)) return null;
        using var objects = Mat.FromArray(objectPoints.Select(p => new Point3f((float)p.X, (float)p.Y, (float)p.Z)).ToArray());
        using var image = Mat.FromArray(imagePoints.Select(p => new Point2f((float)p.U, (float)p.V)).ToArray());
        using var cameraMatrix = Mat.FromArray(new double[,] { { camera.Fx, 0, camera.Cx }, { 0, camera.Fy, camera.Cy }, { 0, 0, 1 } });
        using var rvec = new Mat();
        using var tvec = new Mat();
        using var rotation = new Mat();
        using var inliers = new Mat();
        try
        {
            Cv2.SolvePnPRansac(objects, image, cameraMatrix, InputArray.Create(new double[4]), rvec, tvec, false, iterations, (float)reprojectionError,
                0.99, inliers);
            if (rvec.Total() != 3 || tvec.Total() != 3 || inliers.Total() < MinimumPoints) return null;
            var t = new Vec3(tvec.Get<double>(0), tvec.Get<double>(1), tvec.Get<double>(2));
            Cv2.Rodrigues(rvec, rotation);
            var r = new double[9];
            for (int i = 0; i < 9; i++) r[i] = rotation.Get<double>(i / 3, i % 3);
            if (r.Append(t.X).Append(t.Y).Append(t.Z).Any(v => !double.IsFinite(v)) || t.Z <= 0) return null;
            return new RigidTransform(new Mat3(r[0], r[1], r[2], r[3], r[4], r[5], r[6], r[7], r[8]), t);
        }
        catch (OpenCVException)
        {
            return null;
        }
    }

    /// <summary>Whether the points lie on one line (or coincide) to within a micrometre: no pose follows from them.</summary>
    private static bool Collinear(IReadOnlyList<Vec3> points)
    {
        var first = points[0];
        var far = points.MaxBy(p => (p - first).Length);
        var axis = far - first;
        if (axis.Length < 1e-6) return true;
        var unit = axis.Normalized();
        return points.All(p => Vec3.Cross(p - first, unit).Length < 1e-6);
    }
}
