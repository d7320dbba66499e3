namespace NativeMtl.Balancers;

/// <summary>Optimisation over the probability simplex {w : w ≥ 0, Σ w = 1} in a few dimensions, on the host.</summary>
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
}
