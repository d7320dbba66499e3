namespace NativeMtl.Data.Synthetic;

/// <summary>A 3-vector in double precision: scene geometry is solved in doubles so that quadratic roots
/// and sphere tracing stay accurate to well under a millimetre across a room.</summary>
public readonly record struct Vec3(double X, double Y, double Z)
{
    public static Vec3 Zero => default;

    public static Vec3 operator +(Vec3 a, Vec3 b) => new(a.X + b.X, a.Y + b.Y, a.Z + b.Z);

    public static Vec3 operator -(Vec3 a, Vec3 b) => new(a.X - b.X, a.Y - b.Y, a.Z - b.Z);

    public static Vec3 operator -(Vec3 a) => new(-a.X, -a.Y, -a.Z);

    public static Vec3 operator *(double s, Vec3 a) => new(s * a.X, s * a.Y, s * a.Z);

    public static Vec3 operator *(Vec3 a, double s) => new(s * a.X, s * a.Y, s * a.Z);

    public static double Dot(Vec3 a, Vec3 b) => a.X * b.X + a.Y * b.Y + a.Z * b.Z;

    public static Vec3 Cross(Vec3 a, Vec3 b) => new(a.Y * b.Z - a.Z * b.Y, a.Z * b.X - a.X * b.Z, a.X * b.Y - a.Y * b.X);

    public double Length => Math.Sqrt(X * X + Y * Y + Z * Z);

    public Vec3 Normalized()
    {
        double length = Length;
        return new Vec3(X / length, Y / length, Z / length);
    }
}

/// <summary>A 3×3 matrix, row-major (<c>M01</c> is row 0, column 1); the scenes use it for rotations.</summary>
public readonly record struct Mat3(
    double M00, double M01, double M02,
    double M10, double M11, double M12,
    double M20, double M21, double M22)
{
    public static Mat3 Identity => new(1, 0, 0, 0, 1, 0, 0, 0, 1);

    /// <summary>The rotation whose columns are the given axes (the images of x, y and z).</summary>
    public static Mat3 FromColumns(Vec3 x, Vec3 y, Vec3 z) => new(x.X, y.X, z.X, x.Y, y.Y, z.Y, x.Z, y.Z, z.Z);

    /// <summary>Rotation by <paramref name="angle"/> radians about the x axis (right-handed).</summary>
    public static Mat3 RotationX(double angle)
    {
        double c = Math.Cos(angle), s = Math.Sin(angle);
        return new(1, 0, 0, 0, c, -s, 0, s, c);
    }

    public static Mat3 RotationY(double angle)
    {
        double c = Math.Cos(angle), s = Math.Sin(angle);
        return new(c, 0, s, 0, 1, 0, -s, 0, c);
    }

    public static Mat3 RotationZ(double angle)
    {
        double c = Math.Cos(angle), s = Math.Sin(angle);
        return new(c, -s, 0, s, c, 0, 0, 0, 1);
    }

    public Mat3 Transpose() => new(M00, M10, M20, M01, M11, M21, M02, M12, M22);

    public static Vec3 operator *(Mat3 m, Vec3 v) => new(
        m.M00 * v.X + m.M01 * v.Y + m.M02 * v.Z,
        m.M10 * v.X + m.M11 * v.Y + m.M12 * v.Z,
        m.M20 * v.X + m.M21 * v.Y + m.M22 * v.Z);

    public static Mat3 operator *(Mat3 a, Mat3 b) => new(
        a.M00 * b.M00 + a.M01 * b.M10 + a.M02 * b.M20, a.M00 * b.M01 + a.M01 * b.M11 + a.M02 * b.M21, a.M00 * b.M02 + a.M01 * b.M12 + a.M02 * b.M22,
        a.M10 * b.M00 + a.M11 * b.M10 + a.M12 * b.M20, a.M10 * b.M01 + a.M11 * b.M11 + a.M12 * b.M21, a.M10 * b.M02 + a.M11 * b.M12 + a.M12 * b.M22,
        a.M20 * b.M00 + a.M21 * b.M10 + a.M22 * b.M20, a.M20 * b.M01 + a.M21 * b.M11 + a.M22 * b.M21, a.M20 * b.M02 + a.M21 * b.M12 + a.M22 * b.M22);
}

/// <summary>A rigid motion x ↦ R·x + T.</summary>
public readonly record struct RigidTransform(Mat3 Rotation, Vec3 Translation)
{
    public Vec3 Apply(Vec3 point) => Rotation * point + Translation;

    public RigidTransform Inverse()
    {
        var rt = Rotation.Transpose();
        return new RigidTransform(rt, -(rt * Translation));
    }

    /// <summary>The motion that applies <paramref name="inner"/> first, then this one.</summary>
    public RigidTransform Compose(RigidTransform inner) => new(Rotation * inner.Rotation, Rotation * inner.Translation + Translation);
}
