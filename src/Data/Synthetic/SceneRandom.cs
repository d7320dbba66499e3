using NativeMtl.Kernels;

namespace NativeMtl.Data.Synthetic;

/// <summary>A sequential random stream over Philox4x32-10: draw i takes the words of counter
/// (i / 4, stream, index) under key = seed. A scene's draws depend only on (seed, stream, index), never on
/// the thread or on which scenes were drawn before.</summary>
internal sealed class SceneRandom(ulong seed, uint stream, long index)
{
    private readonly uint[] _words = new uint[4];
    private uint _block;
    private int _used = 4;

    public uint NextUInt()
    {
        if (_used == 4)
        {
            (_words[0], _words[1], _words[2], _words[3]) =
                Philox.Block(_block++, stream, (uint)index, (uint)((ulong)index >> 32), (uint)seed, (uint)(seed >> 32));
            _used = 0;
        }
        return _words[_used++];
    }

    /// <summary>[0, 1) with 53 random bits.</summary>
    public double NextDouble() => Philox.UnitDouble(NextUInt(), NextUInt());

    public double Uniform(double low, double high) => low + (high - low) * NextDouble();

    /// <summary>An integer in [0, count).</summary>
    public int Int(int count) => (int)(NextDouble() * count);

    public bool Chance(double probability) => NextDouble() < probability;
}
