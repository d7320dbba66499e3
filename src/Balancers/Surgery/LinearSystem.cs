namespace NativeMtl.Balancers;

/// <summary>Dense linear systems of a few unknowns, on the host, for the solves on K×K Gram matrices.</summary>
internal static class LinearSystem
{
    /// <summary>x with a·x = b by Gaussian elimination with partial pivoting, or null when a is singular (a pivot
    /// below 1e-12 of the largest entry of a).</summary>
    public static double[]? Solve(double[,] a, double[] b)
    {
        int n = b.Length;
        var m = (double[,])a.Clone();
        var x = (double[])b.Clone();
        double scale = 0;
        foreach (var v in a) scale = Math.Max(scale, Math.Abs(v));
        if (scale == 0) return null;
        for (int col = 0; col < n; col++)
        {
            int pivot = col;
            for (int row = col + 1; row < n; row++)
                if (Math.Abs(m[row, col]) > Math.Abs(m[pivot, col])) pivot = row;
            if (Math.Abs(m[pivot, col]) <= 1e-12 * scale) return null;
            if (pivot != col)
            {
                for (int j = 0; j < n; j++) (m[col, j], m[pivot, j]) = (m[pivot, j], m[col, j]);
                (x[col], x[pivot]) = (x[pivot], x[col]);
            }
            for (int row = col + 1; row < n; row++)
            {
                double f = m[row, col] / m[col, col];
                if (f == 0) continue;
                for (int j = col; j < n; j++) m[row, j] -= f * m[col, j];
                x[row] -= f * x[col];
            }
        }
        for (int row = n - 1; row >= 0; row--)
        {
            double sum = x[row];
            for (int j = row + 1; j < n; j++) sum -= m[row, j] * x[j];
            x[row] = sum / m[row, row];
        }
        return x;
    }

    /// <summary>wᵀ·G·v.</summary>
    public static double Form(double[] w, double[,] g, double[] v)
    {
        double sum = 0;
        for (int i = 0; i < w.Length; i++)
            for (int j = 0; j < v.Length; j++) sum += w[i] * g[i, j] * v[j];
        return sum;
    }

    /// <summary>G·v.</summary>
    public static double[] Times(double[,] g, double[] v)
    {
        var y = new double[v.Length];
        for (int i = 0; i < v.Length; i++)
            for (int j = 0; j < v.Length; j++) y[i] += g[i, j] * v[j];
        return y;
    }
}
