namespace NativeMtl.Data.Synthetic;

/// <summary>Where a ray meets a primitive, in the object's frame: the ray parameter, the outward unit
/// normal and the principal curvatures (k1 ≥ k2, positive where the surface bends away from its normal).</summary>
internal struct SurfaceHit
{
    public double T;
    public Vec3 Normal;
    public double K1;
    public double K2;
}

/// <summary>A closed solid in an object's frame. Objects are unions of primitives; rays are cast in the
/// object's frame (origin o, direction d not necessarily unit), and only hits with o + t·d for
/// <see cref="MinT"/> &lt; t &lt; tMax count.</summary>
public abstract class Primitive
{
    internal const double MinT = 1e-9;

    /// <summary>Curvatures are clamped to this magnitude (1/m): near a cone's apex 1/ρ grows without bound,
    /// and a handful of such pixels would dominate an L1 loss.</summary>
    public const double MaxCurvature = 50;

    private protected Primitive() { }

    /// <summary>The axis-aligned box, in the object's frame, that holds the solid.</summary>
    public abstract (Vec3 Min, Vec3 Max) Bounds { get; }

    internal abstract bool Intersect(Vec3 o, Vec3 d, double tMax, ref SurfaceHit hit);

    private protected static double Clamp(double curvature) => Math.Clamp(curvature, -MaxCurvature, MaxCurvature);
}

public sealed class Sphere(Vec3 center, double radius) : Primitive
{
    public Vec3 Center { get; } = center;

    public double Radius { get; } = radius;

    public override (Vec3 Min, Vec3 Max) Bounds => (Center - new Vec3(Radius, Radius, Radius), Center + new Vec3(Radius, Radius, Radius));

    internal override bool Intersect(Vec3 o, Vec3 d, double tMax, ref SurfaceHit hit)
    {
        var oc = o - Center;
        double a = Vec3.Dot(d, d), b = Vec3.Dot(oc, d), c = Vec3.Dot(oc, oc) - Radius * Radius;
        double disc = b * b - a * c;
        if (disc < 0) return false;
        double sq = Math.Sqrt(disc);
        double t = (-b - sq) / a;
        if (t <= MinT) t = (-b + sq) / a;
        if (t <= MinT || t >= tMax) return false;
        hit.T = t;
        hit.Normal = (1 / Radius) * (oc + t * d);
        hit.K1 = hit.K2 = Clamp(1 / Radius);
        return true;
    }
}

/// <summary>A solid of revolution about the vertical line through <see cref="BaseCenter"/>: its radius
/// goes linearly from <see cref="BottomRadius"/> at the base to <see cref="TopRadius"/> at
/// <see cref="Height"/> above it, and flat discs close both ends. Equal radii give a cylinder, a zero top
/// radius a cone.</summary>
public sealed class Frustum(Vec3 baseCenter, double height, double bottomRadius, double topRadius) : Primitive
{
    public Vec3 BaseCenter { get; } = baseCenter;

    public double Height { get; } = height;

    public double BottomRadius { get; } = bottomRadius;

    public double TopRadius { get; } = topRadius;

    public override (Vec3 Min, Vec3 Max) Bounds
    {
        get
        {
            double r = Math.Max(BottomRadius, TopRadius);
            return (BaseCenter - new Vec3(r, 0, r), BaseCenter + new Vec3(r, Height, r));
        }
    }

    internal override bool Intersect(Vec3 o, Vec3 d, double tMax, ref SurfaceHit hit)
    {
        double ox = o.X - BaseCenter.X, oy = o.Y - BaseCenter.Y, oz = o.Z - BaseCenter.Z;
        double slope = (TopRadius - BottomRadius) / Height;
        double radiusAtOrigin = BottomRadius + slope * oy;
        // |p.xz|² = ρ(p.y)² along the ray, a quadratic a·t² + 2b·t + c = 0. The cone's mirror nappe solves it
        // too; it lies where ρ < 0, outside 0 ≤ y ≤ height, so the height test rejects it.
        double a = d.X * d.X + d.Z * d.Z - slope * slope * d.Y * d.Y;
        double b = ox * d.X + oz * d.Z - slope * d.Y * radiusAtOrigin;
        double c = ox * ox + oz * oz - radiusAtOrigin * radiusAtOrigin;
        double best = tMax;
        bool lateral = false;
        Span<double> roots = stackalloc double[2];
        int count = 0;
        if (Math.Abs(a) > 1e-12)
        {
            double disc = b * b - a * c;
            if (disc >= 0)
            {
                double sq = Math.Sqrt(disc);
                double t1 = (-b - sq) / a, t2 = (-b + sq) / a;
                roots[0] = Math.Min(t1, t2);
                roots[1] = Math.Max(t1, t2);
                count = 2;
            }
        }
        else if (Math.Abs(b) > 1e-12)
        {
            roots[0] = -c / (2 * b);
            count = 1;
        }
        for (int i = 0; i < count; i++)
        {
            double t = roots[i], y = oy + t * d.Y;
            if (t > MinT && t < best && y >= 0 && y <= Height)
            {
                best = t;
                lateral = true;
                break;
            }
        }
        int cap = 0;
        if (d.Y != 0)
        {
            double tBottom = -oy / d.Y;
            if (tBottom > MinT && tBottom < best && InDisc(ox + tBottom * d.X, oz + tBottom * d.Z, BottomRadius))
            {
                best = tBottom;
                cap = -1;
            }
            double tTop = (Height - oy) / d.Y;
            if (tTop > MinT && tTop < best && InDisc(ox + tTop * d.X, oz + tTop * d.Z, TopRadius))
            {
                best = tTop;
                cap = 1;
            }
        }
        if (cap != 0)
        {
            hit.T = best;
            hit.Normal = new Vec3(0, cap, 0);
            hit.K1 = hit.K2 = 0;
            return true;
        }
        if (!lateral) return false;
        double px = ox + best * d.X, pz = oz + best * d.Z;
        double rho = Math.Max(Math.Sqrt(px * px + pz * pz), 1e-12);
        double secant = Math.Sqrt(1 + slope * slope);
        hit.T = best;
        hit.Normal = new Vec3(px / rho / secant, -slope / secant, pz / rho / secant);
        // The parallel circle has curvature 1/ρ; its normal component is cos α = 1/√(1 + slope²).
        // Along the straight generator the surface does not bend.
        hit.K1 = Clamp(1 / (rho * secant));
        hit.K2 = 0;
        return true;
    }

    private static bool InDisc(double x, double z, double radius) => radius > 0 && x * x + z * z <= radius * radius;
}

/// <summary>A ring about the vertical line through <see cref="Center"/>: the points at distance
/// <see cref="MinorRadius"/> from the horizontal circle of radius <see cref="MajorRadius"/>.</summary>
public sealed class Torus(Vec3 center, double majorRadius, double minorRadius) : Primitive
{
    private const int MaxSteps = 160;
    private const double HitDistance = 1e-6;

    public Vec3 Center { get; } = center;

    public double MajorRadius { get; } = majorRadius;

    public double MinorRadius { get; } = minorRadius;

    public override (Vec3 Min, Vec3 Max) Bounds
    {
        get
        {
            double r = MajorRadius + MinorRadius;
            return (Center - new Vec3(r, MinorRadius, r), Center + new Vec3(r, MinorRadius, r));
        }
    }

    internal override bool Intersect(Vec3 o, Vec3 d, double tMax, ref SurfaceHit hit)
    {
        // Sphere tracing on the exact distance to the torus: each step moves by the distance to the surface,
        // so it never passes through it, and it avoids the ill-conditioned closed-form quartic.
        var oc = o - Center;
        double bound = MajorRadius + MinorRadius;
        double a = Vec3.Dot(d, d), b = Vec3.Dot(oc, d), c = Vec3.Dot(oc, oc) - bound * bound;
        double disc = b * b - a * c;
        if (disc < 0) return false;
        double sq = Math.Sqrt(disc);
        double t = Math.Max((-b - sq) / a, MinT), tEnd = Math.Min((-b + sq) / a, tMax);
        double speed = Math.Sqrt(a);
        for (int step = 0; step < MaxSteps && t < tEnd; step++)
        {
            var p = oc + t * d;
            double rho = Math.Sqrt(p.X * p.X + p.Z * p.Z);
            double q = rho - MajorRadius;
            double distance = Math.Sqrt(q * q + p.Y * p.Y) - MinorRadius;
            if (distance < HitDistance)
            {
                rho = Math.Max(rho, 1e-12);
                var core = new Vec3(MajorRadius * p.X / rho, 0, MajorRadius * p.Z / rho);
                hit.T = t;
                hit.Normal = (p - core).Normalized();
                // Across the tube the surface bends like a circle of radius r; along the ring, by
                // cos v / ρ with cos v = (ρ − R)/r: positive outside, negative in the hole.
                hit.K1 = Clamp(1 / MinorRadius);
                hit.K2 = Clamp((rho - MajorRadius) / (MinorRadius * rho));
                return true;
            }
            t += distance / speed;
        }
        return false;
    }
}

/// <summary>A plane n·x = offset; the solid lies where n·x ≤ offset (n is the outward unit normal).</summary>
public readonly record struct Plane(Vec3 Normal, double Offset);

/// <summary>The intersection of half-spaces: boxes and pyramids.</summary>
public sealed class ConvexPolyhedron : Primitive
{
    private readonly Plane[] _faces;
    private readonly (Vec3, Vec3) _bounds;

    private ConvexPolyhedron(Plane[] faces, Vec3 min, Vec3 max)
    {
        _faces = faces;
        _bounds = (min, max);
    }

    public IReadOnlyList<Plane> Faces => _faces;

    public override (Vec3 Min, Vec3 Max) Bounds => _bounds;

    /// <summary>An axis-aligned box.</summary>
    public static ConvexPolyhedron Box(Vec3 center, Vec3 halfExtents) => new(
    [
        new(new Vec3(1, 0, 0), center.X + halfExtents.X), new(new Vec3(-1, 0, 0), -(center.X - halfExtents.X)),
        new(new Vec3(0, 1, 0), center.Y + halfExtents.Y), new(new Vec3(0, -1, 0), -(center.Y - halfExtents.Y)),
        new(new Vec3(0, 0, 1), center.Z + halfExtents.Z), new(new Vec3(0, 0, -1), -(center.Z - halfExtents.Z)),
    ], center - halfExtents, center + halfExtents);

    /// <summary>A square pyramid standing on its base (side 2·halfWidth, centred at baseCenter), apex
    /// <paramref name="height"/> above.</summary>
    public static ConvexPolyhedron Pyramid(Vec3 baseCenter, double halfWidth, double height)
    {
        var apex = baseCenter + new Vec3(0, height, 0);
        var faces = new List<Plane> { new(new Vec3(0, -1, 0), -baseCenter.Y) };
        // Each side face holds the apex and one base edge; its outward normal tilts up by atan(halfWidth/height).
        foreach (var (ux, uz) in new[] { (1.0, 0.0), (-1.0, 0.0), (0.0, 1.0), (0.0, -1.0) })
        {
            var normal = new Vec3(ux * height, halfWidth, uz * height).Normalized();
            faces.Add(new Plane(normal, Vec3.Dot(normal, apex)));
        }
        return new ConvexPolyhedron([.. faces], baseCenter - new Vec3(halfWidth, 0, halfWidth), apex + new Vec3(halfWidth, 0, halfWidth));
    }

    internal override bool Intersect(Vec3 o, Vec3 d, double tMax, ref SurfaceHit hit)
    {
        double tEnter = double.NegativeInfinity, tExit = double.PositiveInfinity;
        int enterFace = -1;
        for (int i = 0; i < _faces.Length; i++)
        {
            double denominator = Vec3.Dot(_faces[i].Normal, d);
            double gap = _faces[i].Offset - Vec3.Dot(_faces[i].Normal, o);
            if (denominator == 0)
            {
                if (gap < 0) return false;
                continue;
            }
            double t = gap / denominator;
            if (denominator < 0)
            {
                if (t > tEnter)
                {
                    tEnter = t;
                    enterFace = i;
                }
            }
            else if (t < tExit) tExit = t;
            if (tEnter > tExit) return false;
        }
        if (enterFace < 0 || tEnter <= MinT || tEnter >= tMax) return false;
        hit.T = tEnter;
        hit.Normal = _faces[enterFace].Normal;
        hit.K1 = hit.K2 = 0;
        return true;
    }
}
