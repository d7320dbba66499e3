using System.Globalization;
using System.Net;
using System.Text;
using NativeMtl.Data;
using NativeMtl.Data.Synthetic;

namespace NativeMtl.Pose;

/// <summary>One validation sample shown in the report: its image, intrinsics, true and estimated pose (null for a miss),
/// and the corners of the object's bounding box in its own frame.</summary>
public sealed record PoseExample(long Index, int ClassId, byte[] Png, int Width, int Height, CameraIntrinsics Camera, RigidTransform Truth,
    RigidTransform? Estimate, IReadOnlyList<Vec3> Corners);

/// <summary>
/// A panel of validation samples as one inline SVG: each image (an embedded PNG, scaled up, pixels kept square) with the
/// object's bounding box projected under its true pose (green) and under the estimated pose (red, or "no pose" for a
/// miss): where the boxes agree, the pose is right.
/// </summary>
public static class PosePanel
{
    private const double Scale = 3;
    private const int Gap = 12, Caption = 16, PerRow = 4;

    /// <summary>The corners of an object's axis-aligned bounding box in its frame, in the order the edges below use.</summary>
    public static IReadOnlyList<Vec3> BoxCorners(SceneObject o)
    {
        var (min, max) = o.Bounds;
        return Enumerable.Range(0, 8).Select(i => new Vec3((i & 1) == 0 ? min.X : max.X, (i & 2) == 0 ? min.Y : max.Y, (i & 4) == 0 ? min.Z : max.Z)).ToList();
    }

    /// <summary>The 12 edges of a box whose corners are numbered by their bits (x = 1, y = 2, z = 4): corners one bit apart.</summary>
    private static readonly (int, int)[] Edges = [.. from a in Enumerable.Range(0, 8) from bit in new[] { 1, 2, 4 } where (a & bit) == 0 select (a, a | bit)];

    public static string Svg(IReadOnlyList<PoseExample> examples)
    {
        if (examples.Count == 0) return "";
        double cellWidth = examples.Max(e => e.Width) * Scale, cellHeight = examples.Max(e => e.Height) * Scale;
        int rows = (examples.Count + PerRow - 1) / PerRow, columns = Math.Min(PerRow, examples.Count);
        var svg = new StringBuilder();
        svg.Append(CultureInfo.InvariantCulture, $"<svg xmlns=\"http://www.w3.org/2000/svg\" width=\"{columns * (cellWidth + Gap)}\" height=\"{rows * (cellHeight + Caption + Gap)}\">");
        for (int k = 0; k < examples.Count; k++)
        {
            var e = examples[k];
            double left = k % PerRow * (cellWidth + Gap), top = k / PerRow * (cellHeight + Caption + Gap);
            // A nested svg per sample clips its boxes to its own image.
            svg.Append(CultureInfo.InvariantCulture, $"<svg x=\"{left}\" y=\"{top}\" width=\"{e.Width * Scale}\" height=\"{e.Height * Scale}\">")
                .Append(CultureInfo.InvariantCulture, $"<image width=\"{e.Width * Scale}\" height=\"{e.Height * Scale}\" style=\"image-rendering:pixelated\" href=\"data:image/png;base64,{Convert.ToBase64String(e.Png)}\"/>")
                .Append(Box(e, e.Truth, "#1a9641"));
            if (e.Estimate is { } estimate) svg.Append(Box(e, estimate, "#d7191c"));
            string caption = $"#{e.Index} {SceneClasses.Names[e.ClassId]}{(e.Estimate is null ? ": no pose" : "")}";
            svg.Append(CultureInfo.InvariantCulture, $"</svg><text x=\"{left}\" y=\"{top + e.Height * Scale + 12}\" font-size=\"11\">{WebUtility.HtmlEncode(caption)}</text>");
        }
        return svg.Append("</svg>").ToString();
    }

    /// <summary>The box's edges under a pose, projected to the scaled image; edges with an end behind the camera are left out.</summary>
    private static string Box(PoseExample e, RigidTransform pose, string colour)
    {
        var projected = Project(e.Camera, pose, e.Corners);
        var path = new StringBuilder();
        foreach (var (a, b) in Edges)
            if (projected[a] is { } from && projected[b] is { } to)
                path.Append(CultureInfo.InvariantCulture, $"M{from.U * Scale:F1},{from.V * Scale:F1}L{to.U * Scale:F1},{to.V * Scale:F1}");
        return $"<path d=\"{path}\" fill=\"none\" stroke=\"{colour}\" stroke-width=\"1.5\"/>";
    }

    /// <summary>Points of the object's frame in continuous pixel coordinates under a pose (null behind the camera).</summary>
    public static IReadOnlyList<(double U, double V)?> Project(CameraIntrinsics camera, RigidTransform pose, IReadOnlyList<Vec3> points) =>
        points.Select(c =>
        {
            var p = pose.Apply(c);
            return p.Z <= 0 ? ((double U, double V)?)null : (camera.Fx * p.X / p.Z + camera.Cx, camera.Fy * p.Y / p.Z + camera.Cy);
        }).ToList();
}
