namespace NativeMtl.Host.Check;

/// <summary>How far a device's values are from the CPU's: the largest absolute difference, and that difference
/// relative to the CPU's largest magnitude (a normwise error, so values near zero do not inflate it).</summary>
internal readonly record struct Comparison(double MaxAbs, double MaxRel)
{
    public static Comparison Of(double[] cpu, double[] device)
    {
        if (cpu.Length != device.Length) return new(double.PositiveInfinity, double.PositiveInfinity);
        double maxAbs = 0, scale = 0;
        for (int i = 0; i < cpu.Length; i++)
        {
            double d = Math.Abs(cpu[i] - device[i]);
            if (double.IsNaN(d)) d = double.IsNaN(cpu[i]) && double.IsNaN(device[i]) ? 0 : double.PositiveInfinity;
            maxAbs = Math.Max(maxAbs, d);
            if (!double.IsNaN(cpu[i])) scale = Math.Max(scale, Math.Abs(cpu[i]));
        }
        return new(maxAbs, maxAbs == 0 ? 0 : maxAbs / Math.Max(scale, 1e-30));
    }

    public Comparison Worst(Comparison other) => new(Math.Max(MaxAbs, other.MaxAbs), Math.Max(MaxRel, other.MaxRel));

    public static double[] Values(Tensor t) => t.DType switch
    {
        DType.Float32 => t.ToArray<float>().Select(v => (double)v).ToArray(),
        DType.Float64 => t.ToArray<double>(),
        _ => t.ToArray<int>().Select(v => (double)v).ToArray(),
    };
}
