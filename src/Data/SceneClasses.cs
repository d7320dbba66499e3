namespace NativeMtl.Data;

/// <summary>The 13 semantic classes of the synthetic scenes. The room's surfaces come first; the ten object
/// classes differ by 3D shape only (sizes overlap, textures and colours are drawn independently of the
/// class), so a network must see shape to tell them apart.</summary>
public static class SceneClasses
{
    public const int Floor = 0;
    public const int Wall = 1;
    public const int Ceiling = 2;
    public const int Box = 3;
    public const int Sphere = 4;
    public const int Cylinder = 5;
    public const int Cone = 6;
    public const int Torus = 7;
    /// <summary>A cylinder with hemispherical ends.</summary>
    public const int Capsule = 8;
    /// <summary>A square pyramid.</summary>
    public const int Pyramid = 9;
    /// <summary>A box top on four cylindrical legs.</summary>
    public const int Table = 10;
    /// <summary>A box seat on four cylindrical legs with a box back.</summary>
    public const int Chair = 11;
    /// <summary>A disc base, a thin pole and a cone-frustum shade.</summary>
    public const int Lamp = 12;

    public const int Count = 13;

    /// <summary>Classes below this are the room's surfaces; the rest are objects.</summary>
    public const int FirstObject = Box;

    public static IReadOnlyList<string> Names { get; } =
        ["floor", "wall", "ceiling", "box", "sphere", "cylinder", "cone", "torus", "capsule", "pyramid", "table", "chair", "lamp"];

    public static bool IsObject(int classId) => classId >= FirstObject && classId < Count;
}
