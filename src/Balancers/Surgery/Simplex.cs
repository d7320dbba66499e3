namespace NativeMtl.Balancers;

/// <summary>Small quadratic programs on Gram matrices, on the host: over the probability simplex {w : w ≥ 0, Σ w = 1}
/// and above a lower bound.</summary>
internal static class Simplex
{
    /// <summary>Supports are enumerated up to this many tasks (2^K − 1 small solves); above it the minimum-norm
    /// point is found by projected gradient descent instead.</summary>
    private const int EnumeratedTasks = 12;

    /// <summary>The Euclidean projection of y onto the simplex (the sort-and-threshold rule).</summary>
    public static double[] Project(double[] y)
    {
        var sorted = y.OrderDescending().ToArray();
        double sum = 0, threshold = (y.Sum() - 1) / y.Length;
        for (int i = 0; i < sorted.Length - 1; i++)
        {
            sum += sorted[i];
            double t = (sum - 1) / (i + 1);
            if (t > sorted[i + 1])
            {
                threshold = t;
                break;
            }
        }
        return y.Select(v => Math.Max(v - threshold, 0)).ToArray();
    }

    /// <summary>The weights α of the minimum-norm point of the convex hull of K gradients, min_α αᵀGα on the simplex
    /// (MGDA's subproblem), exactly: for every support S the stationary point of the problem restricted to S solves
    /// [G_SS 1; 1ᵀ 0]·[α; −μ] = [0; 1]; the feasible one (α ≥ 0) of least αᵀGα is the optimum.</summary>
    public static double[] MinimumNorm(double[,] gram)
    {
        int k = gram.GetLength(0);
        if (k > EnumeratedTasks) return Minimize(w => LinearSystem.Form(w, gram, w), w => LinearSystem.Times(gram, w).Select(v => 2 * v).ToArray(), k);
        double best = double.PositiveInfinity;
        double[]? bestWeights = null;
        for (int mask = 1; mask < 1 << k; mask++)
        {
            var support = Enumerable.Range(0, k).Where(i => (mask >> i & 1) != 0).ToArray();
            int m = support.Length;
            var a = new double[m + 1, m + 1];
            var b = new double[m + 1];
            for (int i = 0; i < m; i++)
            {
                for (int j = 0; j < m; j++) a[i, j] = gram[support[i], support[j]];
                a[i, m] = a[m, i] = 1;
            }
            b[m] = 1;
            if (LinearSystem.Solve(a, b) is not { } x || x.Take(m).Any(v => v < -1e-12)) continue;
            var w = new double[k];
            for (int i = 0; i < m; i++) w[support[i]] = Math.Max(x[i], 0);
            double total = w.Sum();
            for (int i = 0; i < k; i++) w[i] /= total;
            double value = LinearSystem.Form(w, gram, w);
            if (value < best)
            {
                (best, bestWeights) = (value, w);
            }
        }
        return bestWeights!;
    }

    /// <summary>A minimiser of a convex function on the simplex by projected gradient descent with a backtracking
    /// step (Armijo on the quadratic upper model), from the centre, until the iterate moves less than 1e-15.</summary>
    public static double[] Minimize(Func<double[], double> f, Func<double[], double[]> gradient, int k, int maxIterations = 20_000)
    {
        var w = Enumerable.Repeat(1.0 / k, k).ToArray();
        double step = 1, value = f(w);
        for (int iteration = 0; iteration < maxIterations; iteration++)
        {
            var g = gradient(w);
            double[] next;
            double nextValue;
            while (true)
            {
                next = Project(w.Zip(g, (wi, gi) => wi - step * gi).ToArray());
                nextValue = f(next);
                double model = value;
                for (int i = 0; i < k; i++) model += g[i] * (next[i] - w[i]) + (next[i] - w[i]) * (next[i] - w[i]) / (2 * step);
                if (nextValue <= model + 1e-15 * Math.Abs(value) || step < 1e-30) break;
                step /= 2;
            }
            double moved = w.Zip(next, (a, b) => Math.Abs(a - b)).Max();
            (w, value) = (next, nextValue);
            if (moved < 1e-15) break;
            step *= 2;
        }
        return w;
    }

    /// <summary>argmin vᵀGv subject to v ≥ u, for a positive definite G, exactly: for every set F of free
    /// coordinates (the others at their bound) the stationary point solves G_FF·v_F = −G_FB·u_B; the one that is
    /// feasible (v_F ≥ u_F) and optimal ((G·v)_B ≥ 0, the bounds' multipliers) is the solution.</summary>
    public static double[] MinimumAbove(double[,] g, double[] u)
    {
        int k = u.Length;
        double scale = Enumerable.Range(0, k).Max(i => Math.Abs(g[i, i]));
        double tolerance = 1e-12 * Math.Max(scale, 1e-300) * Math.Max(u.Max(Math.Abs), 1);
        for (int mask = 0; mask < 1 << k; mask++)
        {
            var free = Enumerable.Range(0, k).Where(i => (mask >> i & 1) != 0).ToArray();
            var v = (double[])u.Clone();
            if (free.Length > 0)
            {
                var a = new double[free.Length, free.Length];
                var b = new double[free.Length];
                for (int r = 0; r < free.Length; r++)
                {
                    for (int c = 0; c < free.Length; c++) a[r, c] = g[free[r], free[c]];
                    for (int j = 0; j < k; j++)
                        if ((mask >> j & 1) == 0) b[r] -= g[free[r], j] * u[j];
                }
                if (LinearSystem.Solve(a, b) is not { } x) continue;
                for (int r = 0; r < free.Length; r++) v[free[r]] = x[r];
            }
            var gv = LinearSystem.Times(g, v);
            bool feasible = free.All(i => v[i] >= u[i] - tolerance);
            bool optimal = Enumerable.Range(0, k).All(i => (mask >> i & 1) != 0 || gv[i] >= -tolerance);
            if (feasible && optimal) return v;
        }
        throw new InvalidOperationException("no v ≥ u minimises vᵀGv: the Gram matrix is not positive definite");
    }
}
