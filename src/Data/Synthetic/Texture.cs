namespace NativeMtl.Data.Synthetic;

public enum TextureKind
{
    /// <summary>Cubes of side <see cref="Texture.Scale"/> alternate between the two colours.</summary>
    Checker,

    /// <summary>Parallel slabs of thickness <see cref="Texture.Scale"/> across <see cref="Texture.Direction"/>.</summary>
    Stripes,

    /// <summary>Smooth value noise (two octaves) with feature size <see cref="Texture.Scale"/> blends the two colours.</summary>
    Noise,
}

/// <summary>A solid texture: the albedo at a 3D point (object coordinates for objects, world coordinates
/// for the room), so a pattern stays attached to its object whatever the pose. Colours are linear RGB in
/// [0, 1]; <see cref="Offset"/> shifts the pattern so cell boundaries do not fall on flat faces.</summary>
public sealed record Texture(TextureKind Kind, Vec3 ColorA, Vec3 ColorB, double Scale, Vec3 Direction, Vec3 Offset, uint NoiseSeed)
{
    public Vec3 Albedo(Vec3 point)
    {
        var p = (1 / Scale) * (point + Offset);
        switch (Kind)
        {
            case TextureKind.Checker:
                long parity = (long)Math.Floor(p.X) + (long)Math.Floor(p.Y) + (long)Math.Floor(p.Z);
                return (parity & 1) == 0 ? ColorA : ColorB;
            case TextureKind.Stripes:
                double along = Vec3.Dot(p, Direction);
                return along - Math.Floor(along) < 0.5 ? ColorA : ColorB;
            default:
                double n = 0.65 * ValueNoise(p) + 0.35 * ValueNoise(2.03 * p + new Vec3(17.1, 3.7, 9.2));
                return ColorA + n * (ColorB - ColorA);
        }
    }

    /// <summary>Trilinear interpolation of hashed lattice values in [0, 1], with smoothstep weights.</summary>
    private double ValueNoise(Vec3 p)
    {
        double fx = Math.Floor(p.X), fy = Math.Floor(p.Y), fz = Math.Floor(p.Z);
        long ix = (long)fx, iy = (long)fy, iz = (long)fz;
        double ux = Smooth(p.X - fx), uy = Smooth(p.Y - fy), uz = Smooth(p.Z - fz);
        double Lerp(double a, double b, double t) => a + (b - a) * t;
        double x00 = Lerp(Lattice(ix, iy, iz), Lattice(ix + 1, iy, iz), ux);
        double x10 = Lerp(Lattice(ix, iy + 1, iz), Lattice(ix + 1, iy + 1, iz), ux);
        double x01 = Lerp(Lattice(ix, iy, iz + 1), Lattice(ix + 1, iy, iz + 1), ux);
        double x11 = Lerp(Lattice(ix, iy + 1, iz + 1), Lattice(ix + 1, iy + 1, iz + 1), ux);
        return Lerp(Lerp(x00, x10, uy), Lerp(x01, x11, uy), uz);
    }

    private static double Smooth(double t) => t * t * (3 - 2 * t);

    private double Lattice(long x, long y, long z)
    {
        ulong h = NoiseSeed * 0x9E3779B97F4A7C15UL;
        h ^= (ulong)x * 0xBF58476D1CE4E5B9UL;
        h = (h ^ (h >> 31)) * 0x94D049BB133111EBUL;
        h ^= (ulong)y * 0xD6E8FEB86659FD93UL;
        h = (h ^ (h >> 29)) * 0xBF58476D1CE4E5B9UL;
        h ^= (ulong)z * 0x9E3779B97F4A7C15UL;
        h = (h ^ (h >> 32)) * 0xD6E8FEB86659FD93UL;
        h ^= h >> 31;
        return (h >> 11) * (1.0 / 9007199254740992.0);
    }
}
