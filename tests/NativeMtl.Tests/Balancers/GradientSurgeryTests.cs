using NativeMtl.Balancers;
using NativeMtl.Raw;

namespace NativeMtl.Tests.Balancers;

/// <summary>The Gram → solve → combine balancers: their solves on hand-built Gram matrices, worked by hand, and a
/// real step of each on the tiny model against a plain implementation that materialises the gradients.</summary>
public class GradientSurgeryTests
{
    private static double[,] Diagonal(params double[] values)
    {
        var g = new double[values.Length, values.Length];
        for (int i = 0; i < values.Length; i++) g[i, i] = values[i];
        return g;
    }

    // ---- PCGrad -------------------------------------------------------------------------------------------------

    /// <summary>‖g_1‖² = 1, ‖g_2‖² = 4, ⟨g_1, g_2⟩ = −1: g_1 loses −¼·g_2 (→ g_1 + ¼g_2), g_2 loses −g_1 (→ g_1 + g_2);
    /// after either projection the pair no longer conflicts, so the order does not matter. Sum: 2·g_1 + 1.25·g_2.</summary>
    [Fact]
    public void PcGradProjectsEachOfTwoConflictingGradientsOffTheOther()
    {
        double[,] gram = { { 1, -1 }, { -1, 4 } };
        Assert.Equal([2.0, 1.25], PcGradBalancer.Project(gram, _ => [0, 1]));
        Assert.Equal([2.0, 1.25], PcGradBalancer.Project(gram, _ => [1, 0]));
    }

    [Fact]
    public void PcGradLeavesGradientsThatDoNotConflictAlone()
    {
        double[,] gram = { { 1, 0.5, 0 }, { 0.5, 2, 0.1 }, { 0, 0.1, 3 } };
        Assert.Equal([1.0, 1, 1], PcGradBalancer.Project(gram, _ => [2, 1, 0]));
    }

    /// <summary>Three tasks where the order matters: g_1 = (1, 0), g_2 = (−1, 1), g_3 = (−1, −1) (G below). For g_1:
    /// against g_2 first, ⟨g_1, g_2⟩ = −1 gives g_1 + ½g_2 = (½, ½), which no longer conflicts with g_3 (⟨·, g_3⟩ = −1
    /// still does: −½ − ½ = −1 → + ½g_3 → (0, 0)). Worked coefficient by coefficient in the comments below.</summary>
    [Fact]
    public void PcGradsThreeTaskProjectionFollowsTheOrder()
    {
        double[,] gram = { { 1, -1, -1 }, { -1, 2, 0 }, { -1, 0, 2 } };
        // i = 1, order (2, 3): a = (1, 0, 0); ⟨a, g_2⟩ = −1 → a_2 += ½: (1, ½, 0); ⟨a, g_3⟩ = −1 + 0 = −1 → a_3 += ½: (1, ½, ½).
        // i = 2, order (1, 3): a = (0, 1, 0); ⟨a, g_1⟩ = −1 → a_1 += 1: (1, 1, 0); ⟨a, g_3⟩ = −1 + 0 = −1 → a_3 += ½: (1, 1, ½).
        // i = 3, order (1, 2): a = (0, 0, 1); ⟨a, g_1⟩ = −1 → a_1 += 1: (1, 0, 1); ⟨a, g_2⟩ = −1 + 0 = −1 → a_2 += ½: (1, ½, 1).
        int[][] orders = [[1, 2], [0, 2], [0, 1]];
        Assert.Equal([3.0, 2, 2], PcGradBalancer.Project(gram, i => orders[i]));
        // i = 1 against g_3 first: ⟨g_1, g_3⟩ = −1 → (1, 0, ½); then ⟨a, g_2⟩ = −1 + 0 = −1 → (1, ½, ½): the same here;
        // i = 2 against g_3 first: ⟨g_2, g_3⟩ = 0, no change; then g_1: −1 → (1, 1, 0): differs from (1, 1, ½).
        int[][] other = [[2, 1], [2, 0], [0, 1]];
        Assert.Equal([3.0, 2, 1.5], PcGradBalancer.Project(gram, i => other[i]));
    }

    [Fact]
    public void PcGradsOrderIsAShuffleFixedBySeedStepAndTask()
    {
        var order = PcGradBalancer.Order(seed: 3, step: 17, task: 1, k: 5);
        Assert.Equal([0, 1, 2, 3, 4], order.Order());
        Assert.Equal(order, PcGradBalancer.Order(3, 17, 1, 5));
        var others = new[] { PcGradBalancer.Order(4, 17, 1, 5), PcGradBalancer.Order(3, 18, 1, 5), PcGradBalancer.Order(3, 17, 2, 5) };
        Assert.All(others, o => Assert.Equal([0, 1, 2, 3, 4], o.Order()));
        Assert.Contains(others, o => !o.SequenceEqual(order));
    }

    // ---- MGDA ---------------------------------------------------------------------------------------------------

    /// <summary>Two orthogonal gradients of squared norms 4 and 1: α_1 = (G22 − G12)/(G11 + G22 − 2G12) = 1/5.</summary>
    [Fact]
    public void MgdaTakesTheMinimumNormPointBetweenTwoGradients()
    {
        var alpha = Simplex.MinimumNorm(Diagonal(4, 1));
        TestData.Close([0.2, 0.8], alpha, 1e-15);
    }

    /// <summary>⟨g_1, g_2⟩ = 2 ≥ ‖g_1‖² = 1: the segment's closest point to 0 is g_1 itself (LibMTL would give 0.999).</summary>
    [Fact]
    public void MgdaTakesOneGradientAloneWhenItIsTheClosestPointOfTheHull()
    {
        Assert.Equal([1.0, 0], Simplex.MinimumNorm(new double[,] { { 1, 2 }, { 2, 9 } }));
    }

    /// <summary>Orthogonal gradients of norms 1, 2, 3: ‖Σα g‖² = Σ α_k² n_k² is least at α_k ∝ 1/n_k²: (36, 9, 4)/49.</summary>
    [Fact]
    public void MgdaWeighsThreeOrthogonalGradientsByTheirInverseSquaredNorms()
    {
        TestData.Close([36.0 / 49, 9.0 / 49, 4.0 / 49], Simplex.MinimumNorm(Diagonal(1, 4, 9)), 1e-14);
    }

    // ---- IMTL-G -------------------------------------------------------------------------------------------------

    /// <summary>Orthogonal g_1, g_2 of norms 2 and 1: α_2 = ⟨g_1, u_1 − u_2⟩/⟨g_1 − g_2, u_1 − u_2⟩ = 2/3, α_1 = 1/3,
    /// and the combination projects equally (2/3) onto both unit gradients.</summary>
    [Fact]
    public void ImtlGivesTheCombinationWithEqualProjectionsOnTwoUnitGradients()
    {
        TestData.Close([1.0 / 3, 2.0 / 3], ImtlBalancer.Solve(Diagonal(4, 1)), 1e-15);
    }

    /// <summary>Orthogonal gradients of norms 1, 2, 3: equal projections α_k·n_k, so α ∝ 1/n_k: (6, 3, 2)/11.</summary>
    [Fact]
    public void ImtlWeighsThreeOrthogonalGradientsByTheirInverseNorms()
    {
        TestData.Close([6.0 / 11, 3.0 / 11, 2.0 / 11], ImtlBalancer.Solve(Diagonal(1, 4, 9)), 1e-14);
    }

    [Fact]
    public void ImtlTakesTheMeanWhenAGradientIsZero()
    {
        Assert.Equal([0.5, 0.5], ImtlBalancer.Solve(Diagonal(4, 0)));
    }

    /// <summary>IMTL-L: at s = 0 the step trains on Σ L_k (weights 1) and s moves by −lr·(e^s·L_k − 1); the next step
    /// weighs each loss by e^(s_k).</summary>
    [Fact]
    public void ImtlLLearnsALogScalePerLossWithTheModel()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        var balancer = (ImtlBalancer)BalancerRegistry.Create("imtl", TinyProblem.Options(("variant", "l")));
        using var step = TinyProblem.Step(model, balancer, lr: 0.1);
        double[] losses;
        using (DisposeScope.Enter())
        {
            var result = step.Run(objective);
            losses = TinyProblem.Values(result.Losses);
            Assert.Equal([1.0, 1, 1], TinyProblem.Values(result.Weights));
        }
        var s = losses.Select(l => -0.1 * (l - 1)).ToArray();
        TestData.Close(s, TinyProblem.Values(balancer.LogScale!), 1e-12);
        var g = TinyProblem.EncoderGradients(model, objective, "a", "b", "c");
        var expected = Combine(g, s.Select(Math.Exp).ToArray());
        using var scope = DisposeScope.Enter();
        TestData.Close(s.Select(Math.Exp).ToArray(), TinyProblem.Values(step.Run(objective).Weights), 1e-12);
        TestData.Close(expected, model.ParameterGroups.Encoder.Grads.ToArray<double>(), 1e-12);
    }

    /// <summary>IMTL-H on its second step (s moved by the first): the encoder takes IMTL-G's combination of the scaled
    /// gradients e^(s_k)·g_k, each head e^(s_k) times its own gradient.</summary>
    [Fact]
    public void ImtlHAppliesImtlGToTheGradientsOfTheScaledLosses()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        var balancer = (ImtlBalancer)BalancerRegistry.Create("imtl", TinyProblem.Options(("variant", "h")));
        using var step = TinyProblem.Step(model, balancer, lr: 0.1);
        using (DisposeScope.Enter()) step.Run(objective);
        var scale = TinyProblem.Values(balancer.LogScale!).Select(Math.Exp).ToArray();
        Assert.All(scale, e => Assert.NotEqual(1, e, 3));
        var g = TinyProblem.EncoderGradients(model, objective, "a", "b", "c");
        var expected = PlainImtl(g.Select((gk, k) => gk.Select(v => scale[k] * v).ToArray()).ToArray());
        var heads = TinyProblem.HeadGradients(model, objective);
        using var scope = DisposeScope.Enter();
        step.Run(objective);
        TestData.Close(expected, model.ParameterGroups.Encoder.Grads.ToArray<double>(), 1e-10);
        foreach (var (task, k) in new[] { ("a", 0), ("b", 1), ("c", 2) })
            TestData.Close(heads[task].Select(v => scale[k] * v).ToArray(), model.ParameterGroups[$"heads.{task}"].Grads.ToArray<double>(), 1e-12);
    }

    // ---- CAGrad -------------------------------------------------------------------------------------------------

    /// <summary>G = I: by symmetry w = (½, ½), ‖g_w‖ = 1/√2 = ‖g_0‖, so λ = c and the update (½ + c/2)(g_1 + g_2),
    /// divided by 1 + c²: each coefficient (1 + c)/(2(1 + c²)) = 1.4/2.32 at c = 0.4.</summary>
    [Fact]
    public void CaGradOnTwoOrthogonalUnitGradientsScalesTheMean()
    {
        TestData.Close([1.4 / 2.32, 1.4 / 2.32], CaGradBalancer.Solve(Diagonal(1, 1), 0.4, 1), 1e-12);
        TestData.Close([0.7, 0.7], CaGradBalancer.Solve(Diagonal(1, 1), 0.4, 0), 1e-12);
        TestData.Close([0.5, 0.5], CaGradBalancer.Solve(Diagonal(1, 1), 0.4, 2), 1e-12);
    }

    [Fact]
    public void CaGradWithCZeroIsTheMeanGradient()
    {
        TestData.Close([1.0 / 3, 1.0 / 3, 1.0 / 3], CaGradBalancer.Solve(new double[,] { { 1, -1, 0.5 }, { -1, 4, 0 }, { 0.5, 0, 2 } }, 0, 1), 1e-15);
    }

    /// <summary>Two opposite gradients g_2 = −2·g_1 (‖g_1‖ = 1): g_0 = −½g_1. The minimiser puts all weight where
    /// g_wᵀg_0 + ½‖g_w‖·c is least: w = (1, 0) gives −½ + 0.2·0.5 = −0.4 (w = (0,1): 1 + 0.4 = 1.4; any mix lies
    /// between, as the objective is linear in w until g_w crosses 0, where it is 0). So λ = 0.2 and the update is
    /// (½·(1, 1) + 0.2·(1, 0))/1.16 = (0.7, 0.5)/1.16.</summary>
    [Fact]
    public void CaGradOnOpposedGradientsLeansTowardsTheWeakerOne()
    {
        double[,] gram = { { 1, -2 }, { -2, 4 } };
        TestData.Close([0.7 / 1.16, 0.5 / 1.16], CaGradBalancer.Solve(gram, 0.4, 1), 1e-9);
    }

    // ---- Aligned-MTL --------------------------------------------------------------------------------------------

    /// <summary>Orthogonal gradients of norms 2 and 1: aligned to the smallest singular value, each becomes a unit
    /// vector: α = (½, 1).</summary>
    [Fact]
    public void AlignedMtlRescalesOrthogonalGradientsToTheSmallestNorm()
    {
        TestData.Close([0.5, 1], AlignedMtlBalancer.Solve(Diagonal(4, 1)), 1e-14);
        TestData.Close([1, 0.5, 1.0 / 3], AlignedMtlBalancer.Solve(Diagonal(1, 4, 9)), 1e-14);
    }

    /// <summary>Two equal gradients (G = [[1, 1], [1, 1]], rank 1): λ = 2 with v = (1, 1)/√2, so B = √2·v·(1/√2)·vᵀ =
    /// [[½, ½], [½, ½]] and α = (1, 1): the zero eigenvalue is cut, not inverted.</summary>
    [Fact]
    public void AlignedMtlKeepsOnlyTheGramMatrixsNonzeroEigenvalues()
    {
        TestData.Close([1.0, 1], AlignedMtlBalancer.Solve(new double[,] { { 1, 1 }, { 1, 1 } }), 1e-12);
    }

    /// <summary>The eigen-decomposition behind it: A·v = λ·v for each pair, with orthonormal vectors.</summary>
    [Fact]
    public void SymmetricEigenDecomposesAGramMatrix()
    {
        double[,] a = { { 4, 1, -2 }, { 1, 3, 0.5 }, { -2, 0.5, 5 } };
        var (values, vectors) = SymmetricEigen.Decompose(a);
        Assert.True(values[0] >= values[1] && values[1] >= values[2]);
        for (int c = 0; c < 3; c++)
        {
            var v = Enumerable.Range(0, 3).Select(r => vectors[r, c]).ToArray();
            TestData.Close(v.Select(x => values[c] * x).ToArray(), LinearSystem.Times(a, v), 1e-13);
            Assert.Equal(1, TinyProblem.Dot(v, v), 13);
        }
        Assert.Equal(12, values.Sum(), 12);
    }

    // ---- UPGrad -------------------------------------------------------------------------------------------------

    /// <summary>Gradients that conflict with none: each ½·g_i is already in the dual cone, so α = (½, ½).</summary>
    [Fact]
    public void UpGradLeavesGradientsWithoutConflictAsTheirMean()
    {
        TestData.Close([0.5, 0.5], UpGradBalancer.Solve(Diagonal(4, 1), 1e-4, 0), 1e-14);
        TestData.Close([1.0 / 3, 1.0 / 3, 1.0 / 3], UpGradBalancer.Solve(Diagonal(1, 4, 9), 1e-4, 0), 1e-14);
    }

    /// <summary>G = [[1, −1], [−1, 4]]. Projecting ½g_1: v_1 = ½ held, v_2 free: ∂/∂v_2 = 0 gives v_2 = ½·1/4 = ⅛,
    /// and (Gv)_1 = ½ − ⅛ &gt; 0 keeps v_1 at its bound: (½, ⅛). Projecting ½g_2: v_1 = ½·1/1 = ½, (Gv)_2 = −½ + 2 &gt; 0:
    /// (½, ½). Sum (1, ⅝), half of PCGrad's (2, 1.25) here.</summary>
    [Fact]
    public void UpGradProjectsEachWeightedGradientOntoTheDualCone()
    {
        TestData.Close([1, 0.625], UpGradBalancer.Solve(new double[,] { { 1, -1 }, { -1, 4 } }, 1e-4, 0), 1e-14);
    }

    // ---- GradVac ------------------------------------------------------------------------------------------------

    /// <summary>Unit gradients with cos = −½ and targets 0: w = 1·(0·√¾ + ½·1)/(1·1) = ½, so each becomes
    /// g_i + ½g_j, whose cosine with g_j is 0, the target; the targets move to ½·0 + ½·(−½) = −¼. A second step on
    /// the same gradients aims at −¼: w = (−¼·√¾ + ½·√(15/16))/√(15/16).</summary>
    [Fact]
    public void GradVacRaisesEachCosineToItsTargetAndMovesTheTarget()
    {
        double[,] gram = { { 1, -0.5 }, { -0.5, 1 } };
        var targets = new double[2, 2];
        var first = GradVacBalancer.Solve(gram, targets, 0.5, true, i => [1 - i]);
        TestData.Close([1.5, 1.5], first, 1e-15);
        Assert.Equal(-0.25, targets[0, 1]);
        Assert.Equal(-0.25, targets[1, 0]);
        double w = (-0.25 * Math.Sqrt(0.75) + 0.5 * Math.Sqrt(15.0 / 16)) / Math.Sqrt(15.0 / 16);
        TestData.Close([1 + w, 1 + w], GradVacBalancer.Solve(gram, targets, 0.5, true, i => [1 - i]), 1e-15);
    }

    /// <summary>cos = ½ above the target 0: nothing changes. The paper's EMA still moves the target to ¼, LibMTL's
    /// does not; so on orthogonal gradients next (cos 0 &lt; ¼) only the former adds w = ¼/√(15/16) of the other.</summary>
    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void GradVacsTargetFollowsEveryComparisonOrOnlyTheConflictingOnes(bool always)
    {
        var targets = new double[2, 2];
        TestData.Close([1.0, 1], GradVacBalancer.Solve(new double[,] { { 1, 0.5 }, { 0.5, 1 } }, targets, 0.5, always, i => [1 - i]), 1e-15);
        Assert.Equal(always ? 0.25 : 0, targets[0, 1]);
        double w = always ? 0.25 / Math.Sqrt(15.0 / 16) : 0;
        TestData.Close([1 + w, 1 + w], GradVacBalancer.Solve(Diagonal(1, 1), targets, 0.5, always, i => [1 - i]), 1e-15);
    }

    // ---- DB-MTL -------------------------------------------------------------------------------------------------

    /// <summary>Two steps replayed on the vectors: log-gradients ℓ_k = g_k/(L_k + 1e-8), buffer ĝ ← ℓ + (0.9/t^½)(ĝ − ℓ)
    /// from 0, and the encoder on Σ α_k ĝ_k with α_k = max‖ĝ‖/(‖ĝ_k‖ + 1e-8); each head on its log-loss gradient.</summary>
    [Fact]
    public void DbMtlBalancesLogLossGradientsByTheirMovingAverageNorms()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("db_mtl"), lr: 0.1);
        var buffer = new double[3][];
        for (int t = 1; t <= 2; t++)
        {
            var g = TinyProblem.EncoderGradients(model, objective, "a", "b", "c");
            double[] losses;
            using (DisposeScope.Enter()) losses = objective.Evaluate(false, false).Losses.Values.Select(l => l.Item()).ToArray();
            var heads = TinyProblem.HeadGradients(model, objective);
            double decay = 0.9 / Math.Sqrt(t);
            for (int k = 0; k < 3; k++)
            {
                var log = g[k].Select(v => v / (losses[k] + 1e-8)).ToArray();
                buffer[k] = log.Select((v, p) => v + decay * ((buffer[k]?[p] ?? 0) - v)).ToArray();
            }
            var norms = buffer.Select(b => Math.Sqrt(Norm2(b))).ToArray();
            var alpha = norms.Select(n => norms.Max() / (n + 1e-8)).ToArray();
            using var scope = DisposeScope.Enter();
            var result = step.Run(objective);
            TestData.Close(alpha, TinyProblem.Values(result.Weights), 1e-12);
            TestData.Close(Combine(buffer, alpha), model.ParameterGroups.Encoder.Grads.ToArray<double>(), 1e-12);
            foreach (var (task, k) in new[] { ("a", 0), ("b", 1), ("c", 2) })
                TestData.Close(heads[task].Select(v => v / (losses[k] + 1e-8)).ToArray(), model.ParameterGroups[$"heads.{task}"].Grads.ToArray<double>(), 1e-12);
        }
    }

    // ---- Nash-MTL -----------------------------------------------------------------------------------------------

    /// <summary>(Gα)_k = 1/α_k: orthogonal gradients of squared norms 4 and 1 give 4α_1 = 1/α_1 and α_2 = 1/α_2, so
    /// α = (½, 1); of norms 1, 2, 3, α = (1, ½, ⅓); two unit gradients with cosine ½ share α with 1.5·α = 1/α.</summary>
    [Fact]
    public void NashMtlSolvesTheBargainingCondition()
    {
        TestData.Close([0.5, 1], NashMtlBalancer.Solve(Diagonal(4, 1)), 1e-13);
        TestData.Close([1, 0.5, 1.0 / 3], NashMtlBalancer.Solve(Diagonal(1, 4, 9)), 1e-13);
        double a = Math.Sqrt(1 / 1.5);
        TestData.Close([a, a], NashMtlBalancer.Solve(new double[,] { { 1, 0.5 }, { 0.5, 1 } }), 1e-13);
    }

    // ---- GradDrop -----------------------------------------------------------------------------------------------

    /// <summary>A real step against LibMTL's formula written out on the feature gradients: s_k = Σ_n g_k·sign(z) per
    /// position, P = ½(1 + Σ s/Σ|s|), U from Philox (seed 0, counter = position at step 0), each task kept where its
    /// s agrees with the drawn sign; the encoder takes J_zᵀ·Σ_k kept g_k, each head its own gradient.</summary>
    [Fact]
    public void GradDropSendsTheSignConsistentFeatureGradientsThroughTheEncoder()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        var encoder = model.ParameterGroups.Encoder.Members.Select(m => m.Parameter.Value).ToArray();
        double[] expected;
        int dropped = 0;
        using (DisposeScope.Enter())
        {
            var losses = objective.Evaluate(false, false);
            var z = losses.SharedFeature;
            var x = z.ToArray<double>();
            var g = new[] { "a", "b", "c" }.Select(t => Autograd.Grad(losses.Losses[t], z, retainGraph: true).ToArray<double>()).ToArray();
            int n = z.Shape[0], f = x.Length / n;
            var y = new double[x.Length];
            for (int p = 0; p < f; p++)
            {
                var s = g.Select(gk => Enumerable.Range(0, n).Sum(i => gk[i * f + p] * Math.Sign(x[i * f + p]))).ToArray();
                double purity = 0.5 * (1 + s.Sum() / (s.Sum(Math.Abs) + 1e-7)), u = NativeMtl.Kernels.Philox.UniformDouble((ulong)p, 0, 0, 1);
                for (int k = 0; k < 3; k++)
                {
                    bool keep = (purity > u && s[k] > 0) || (purity < u && s[k] < 0);
                    if (!keep) dropped++;
                    for (int i = 0; i < n; i++) y[i * f + p] += keep ? g[k][i * f + p] : 0;
                }
            }
            expected = Autograd.Grad([z], encoder, [Tensors.FromArray(y, z.Shape)], retainGraph: true).SelectMany(t => t.ToArray<double>()).ToArray();
        }
        Assert.True(dropped > 0, "no task was dropped anywhere: the test would not see the masks");
        var heads = TinyProblem.HeadGradients(model, objective);
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("graddrop"));
        using var scope = DisposeScope.Enter();
        step.Run(objective);
        TestData.Close(expected, model.ParameterGroups.Encoder.Grads.ToArray<double>(), 1e-12);
        foreach (var (task, gradient) in heads) TestData.Close(gradient, model.ParameterGroups[$"heads.{task}"].Grads.ToArray<double>(), 1e-12);
    }

    // ---- Pareto MTL ---------------------------------------------------------------------------------------------

    [Fact]
    public void ParetoMtlsTwoTaskPreferencesAreTheAuthorsQuarterCircle()
    {
        var u = ParetoMtlBalancer.Preferences(2, 5);
        for (int j = 0; j < 5; j++) TestData.Close([Math.Cos(j * Math.PI / 8), Math.Sin(j * Math.PI / 8)], u[j], 1e-15);
    }

    [Fact]
    public void ParetoMtlsPreferencesForThreeTasksAreUnitVectorsInThePositiveOrthant()
    {
        var u = ParetoMtlBalancer.Preferences(3, 5);
        Assert.Equal(5, u.Length);
        Assert.All(u, v => Assert.Equal(1, Math.Sqrt(v.Sum(x => x * x)), 14));
        Assert.All(u, v => Assert.All(v, x => Assert.True(x >= 0)));
        Assert.Equal(5, u.Select(v => string.Join(",", v.Select(x => Math.Round(x, 9)))).Distinct().Count());
    }

    /// <summary>Preference u_0 = (1, 0), losses (1, 3): every other preference's constraint (u_j − u_0)·ℓ is active
    /// (cos t − 1 + 3 sin t &gt; 0 on (0, π/2]). With G = I the constraint gradients are the vectors u_j − u_0 on the
    /// circle of radius 1 about (−1, 0), which passes through 0; the hull's point nearest 0 is u_1 − u_0 (the next
    /// vertex's edge leads away), so the initialisation's loss weights are (cos π/8 − 1, sin π/8).</summary>
    [Fact]
    public void ParetoMtlsInitialisationDescendsTheActiveConstraints()
    {
        var weights = ParetoMtlBalancer.Solve(Diagonal(1, 1), [1, 3], ParetoMtlBalancer.Preferences(2, 5), 0, initialising: true)!;
        TestData.Close([Math.Cos(Math.PI / 8) - 1, Math.Sin(Math.PI / 8)], weights, 1e-12);
        Assert.Null(ParetoMtlBalancer.Solve(Diagonal(1, 1), [1, 10], ParetoMtlBalancer.Preferences(2, 5), 4, initialising: true));
    }

    /// <summary>Preference u_4 = (0, 1), losses (1, 10): no constraint is active, so the step is MGDA's min-norm point
    /// (G = diag(4, 1): α = (0.2, 0.8)), rescaled to Σ|w| = K = 2: (0.4, 1.6).</summary>
    [Fact]
    public void ParetoMtlWithoutActiveConstraintsIsTheMinNormPointScaledToK()
    {
        TestData.Close([0.4, 1.6], ParetoMtlBalancer.Solve(Diagonal(4, 1), [1, 10], ParetoMtlBalancer.Preferences(2, 5), 4, initialising: false)!, 1e-14);
    }

    /// <summary>A real step of three tasks, preference 2 of 5: the active constraints read off the losses, the
    /// min-norm point of the task gradients and the active constraints' gradients found on the vectors by
    /// Frank–Wolfe; the encoder takes Σ w_k g_k, each head w_k times its gradient.</summary>
    [Fact]
    public void ParetoMtlsStepMatchesAPlainImplementation()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        var g = TinyProblem.EncoderGradients(model, objective, "a", "b", "c");
        double[] losses;
        using (DisposeScope.Enter()) losses = objective.Evaluate(false, false).Losses.Values.Select(l => l.Item()).ToArray();
        var u = ParetoMtlBalancer.Preferences(3, 5);
        double norm = Math.Sqrt(losses.Sum(l => l * l));
        var active = u.Select(v => v.Select((x, i) => x - u[2][i]).ToArray()).Where(w => w.Select((x, i) => x * losses[i] / norm).Sum() > 0).ToList();
        bool initialising = active.Count > 0;
        var vectors = (initialising ? [] : g).Concat(active.Select(w => Combine(g, w))).ToArray();
        var alpha = PlainMinimumNorm(vectors);
        var weights = new double[3];
        if (!initialising)
            for (int k = 0; k < 3; k++) weights[k] += alpha[k];
        for (int a = 0; a < active.Count; a++)
            for (int k = 0; k < 3; k++) weights[k] += alpha[a + (initialising ? 0 : 3)] * active[a][k];
        if (!initialising) weights = weights.Select(w => w * 3 / weights.Sum(Math.Abs)).ToArray();
        var heads = TinyProblem.HeadGradients(model, objective);
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("pareto_mtl", TinyProblem.Options(("preference", 2))));
        using var scope = DisposeScope.Enter();
        TestData.Close(weights, TinyProblem.Values(step.Run(objective).Weights), 1e-8);
        TestData.Close(Combine(g, weights), model.ParameterGroups.Encoder.Grads.ToArray<double>(), 1e-8);
        foreach (var (task, k) in new[] { ("a", 0), ("b", 1), ("c", 2) })
            TestData.Close(heads[task].Select(v => weights[k] * v).ToArray(), model.ParameterGroups[$"heads.{task}"].Grads.ToArray<double>(), 1e-8);
    }

    // ---- Real steps against plain implementations ---------------------------------------------------------------

    /// <summary>The Gram balancers whose step a plain implementation below reproduces (Nash-MTL and Pareto MTL have tests of their own).</summary>
    internal static readonly string[] PlainChecked = ["pcgrad", "mgda", "imtl", "cagrad", "aligned_mtl", "upgrad", "gradvac"];

    public static TheoryData<string> CheckedAgainstPlainImplementations { get; } = [.. PlainChecked];

    [Theory]
    [MemberData(nameof(CheckedAgainstPlainImplementations))]
    public void AStepGivesTheEncoderTheGradientOfAPlainImplementationAndEveryHeadItsOwn(string name)
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        var g = TinyProblem.EncoderGradients(model, objective, "a", "b", "c");
        var expected = name switch
        {
            "pcgrad" => PlainPcGrad(g, i => PcGradBalancer.Order(0, 0, i, 3)),
            "mgda" => Combine(g, PlainMinimumNorm(g)),
            "imtl" => PlainImtl(g),
            "aligned_mtl" => Combine(g, AlignedMtlBalancer.Solve(GramOf(g))),
            "upgrad" => PlainUpGrad(g),
            "gradvac" => PlainGradVac(g, i => TaskOrder.Shuffle(0, 0, i, Enumerable.Range(0, 3).Where(j => j != i).ToArray(), 3)),
            _ => PlainCaGrad(g, 0.4),
        };
        var heads = TinyProblem.HeadGradients(model, objective);
        using var step = TinyProblem.Step(model, BalancerRegistry.Create(name));
        using var scope = DisposeScope.Enter();
        var result = step.Run(objective);
        TestData.Close(expected, model.ParameterGroups.Encoder.Grads.ToArray<double>(), name == "cagrad" ? 1e-7 : 1e-10);
        foreach (var (task, gradient) in heads)
            TestData.Close(gradient, model.ParameterGroups[$"heads.{task}"].Grads.ToArray<double>(), 1e-12);
        Assert.Equal(3, result.EncoderPasses);
    }

    /// <summary>MGDA-UB: α from the gradients at the shared feature z; the encoder then takes Σ α_k·∂L_k/∂θ.</summary>
    [Fact]
    public void MgdaAtTheFeatureSolvesOnTheFeatureGradientsAndSendsTheirCombinationThroughTheEncoder()
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        double[][] atZ;
        using (DisposeScope.Enter())
        {
            var losses = objective.Evaluate(false, false);
            atZ = new[] { "a", "b", "c" }.Select(t => Autograd.Grad([losses.Losses[t]], [losses.SharedFeature], retainGraph: true)[0].ToArray<double>()).ToArray();
        }
        var alpha = PlainMinimumNorm(atZ);
        var expected = Combine(TinyProblem.EncoderGradients(model, objective, "a", "b", "c"), alpha);
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("mgda", TinyProblem.Options(("at", "feature"))));
        using var scope = DisposeScope.Enter();
        var result = step.Run(objective);
        TestData.Close(alpha, TinyProblem.Values(result.Weights), 1e-10);
        TestData.Close(expected, model.ParameterGroups.Encoder.Grads.ToArray<double>(), 1e-10);
        Assert.Equal((1, 3), (result.EncoderPasses, result.HeadPasses));
    }

    /// <summary>Nash-MTL on the vectors: α from gradient descent in log α on ½αᵀGα − Σ log α
    /// (α_k ← α_k·e^(−0.05·(α_k·(Gα)_k − 1))), the shared gradient Σ α_k g_k clipped to norm
    /// <paramref name="maxNorm"/>, each head α_k times its gradient.</summary>
    [Theory]
    [InlineData(1.0)]
    [InlineData(0.0)]
    [InlineData(1e-3)]
    public void NashMtlsStepMatchesAPlainFixedPointWithItsClipping(double maxNorm)
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        var g = TinyProblem.EncoderGradients(model, objective, "a", "b", "c");
        var alpha = new[] { 1.0, 1, 1 };
        for (int iteration = 0; iteration < 200_000; iteration++)
        {
            var point = Combine(g, alpha);
            alpha = alpha.Select((a, k) => a * Math.Exp(-0.05 * (a * TinyProblem.Dot(g[k], point) - 1))).ToArray();
        }
        var shared = Combine(g, alpha);
        double norm = Math.Sqrt(Norm2(shared)), clip = maxNorm > 0 && norm > maxNorm ? maxNorm / norm : 1;
        var heads = TinyProblem.HeadGradients(model, objective);
        using var step = TinyProblem.Step(model, BalancerRegistry.Create("nash_mtl", TinyProblem.Options(("max_norm", maxNorm))));
        using var scope = DisposeScope.Enter();
        step.Run(objective);
        TestData.Close(shared.Select(v => v * clip).ToArray(), model.ParameterGroups.Encoder.Grads.ToArray<double>(), 1e-10);
        foreach (var (task, k) in new[] { ("a", 0), ("b", 1), ("c", 2) })
            TestData.Close(heads[task].Select(v => alpha[k] * v).ToArray(), model.ParameterGroups[$"heads.{task}"].Grads.ToArray<double>(), 1e-10);
        if (maxNorm == 1e-3) Assert.True(clip < 1, $"norm {norm} was not clipped");
    }

    /// <summary>IMTL-G and Aligned-MTL at the shared feature (LibMTL's rep_grad): the coefficients from the gradients
    /// at z, worked on the vectors; the encoder takes Σ c_k·∂L_k/∂θ through one pass from z.</summary>
    [Theory]
    [InlineData("imtl")]
    [InlineData("aligned_mtl")]
    public void AtTheFeatureTheCoefficientsComeFromTheGradientsAtZ(string name)
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        double[][] atZ;
        using (DisposeScope.Enter())
        {
            var losses = objective.Evaluate(false, false);
            atZ = new[] { "a", "b", "c" }.Select(t => Autograd.Grad([losses.Losses[t]], [losses.SharedFeature], retainGraph: true)[0].ToArray<double>()).ToArray();
        }
        var c = name == "imtl" ? PlainImtlCoefficients(atZ) : AlignedMtlBalancer.Solve(GramOf(atZ));
        var expected = Combine(TinyProblem.EncoderGradients(model, objective, "a", "b", "c"), c);
        using var step = TinyProblem.Step(model, BalancerRegistry.Create(name, TinyProblem.Options(("at", "feature"))));
        using var scope = DisposeScope.Enter();
        var result = step.Run(objective);
        TestData.Close(c, TinyProblem.Values(result.Weights), 1e-10);
        TestData.Close(expected, model.ParameterGroups.Encoder.Grads.ToArray<double>(), 1e-10);
        Assert.Equal((1, 3), (result.EncoderPasses, result.HeadPasses));
    }

    private static double[] Combine(double[][] g, double[] c) =>
        Enumerable.Range(0, g[0].Length).Select(p => Enumerable.Range(0, g.Length).Sum(k => c[k] * g[k][p])).ToArray();

    private static double Norm2(double[] v) => TinyProblem.Dot(v, v);

    private static double[,] GramOf(double[][] g)
    {
        var gram = new double[g.Length, g.Length];
        for (int i = 0; i < g.Length; i++)
            for (int j = 0; j < g.Length; j++) gram[i, j] = TinyProblem.Dot(g[i], g[j]);
        return gram;
    }

    /// <summary>GradVac's first step on the vectors (targets 0): each g_i raised towards cosine 0 with every g_j.</summary>
    private static double[] PlainGradVac(double[][] g, Func<int, int[]> order)
    {
        var sum = new double[g[0].Length];
        for (int i = 0; i < g.Length; i++)
        {
            var vaccinated = (double[])g[i].Clone();
            foreach (int j in order(i))
            {
                double norm = Math.Sqrt(Norm2(vaccinated)), normJ = Math.Sqrt(Norm2(g[j]));
                double phi = TinyProblem.Dot(vaccinated, g[j]) / (norm * normJ);
                if (phi < 0) vaccinated = vaccinated.Zip(g[j], (a, b) => a + b * norm * (-phi) / normJ).ToArray();
            }
            sum = sum.Zip(vaccinated, (a, b) => a + b).ToArray();
        }
        return sum;
    }

    /// <summary>UPGrad on the vectors: each ‖Σ v_k g_k‖² (plus 1e-4 of Σ v_k² times the squared Frobenius norm, the
    /// regularisation) minimised over v ≥ e_i/K by projected gradient descent, and the minimisers added.</summary>
    private static double[] PlainUpGrad(double[][] g)
    {
        int k = g.Length;
        double frobenius = g.Sum(Norm2);
        var total = new double[k];
        for (int i = 0; i < k; i++)
        {
            var u = Enumerable.Range(0, k).Select(j => j == i ? 1.0 / k : 0).ToArray();
            var v = (double[])u.Clone();
            for (int iteration = 0; iteration < 200_000; iteration++)
            {
                var point = Combine(g, v);
                var gradient = g.Select((gj, j) => 2 * (TinyProblem.Dot(gj, point) + 1e-4 * frobenius * v[j])).ToArray();
                v = v.Select((x, j) => Math.Max(x - 0.2 / frobenius * gradient[j], u[j])).ToArray();
            }
            for (int j = 0; j < k; j++) total[j] += v[j];
        }
        return Combine(g, total);
    }

    /// <summary>PCGrad as its paper writes it: the vectors themselves projected, then summed.</summary>
    private static double[] PlainPcGrad(double[][] g, Func<int, int[]> order)
    {
        var sum = new double[g[0].Length];
        for (int i = 0; i < g.Length; i++)
        {
            var pc = (double[])g[i].Clone();
            foreach (int j in order(i))
            {
                double dot = TinyProblem.Dot(pc, g[j]);
                if (dot < 0) pc = pc.Zip(g[j], (a, b) => a - dot / Norm2(g[j]) * b).ToArray();
            }
            sum = sum.Zip(pc, (a, b) => a + b).ToArray();
        }
        return sum;
    }

    /// <summary>The minimum-norm point by Frank–Wolfe on the vectors (exact line search), run to convergence.</summary>
    private static double[] PlainMinimumNorm(double[][] g)
    {
        int k = g.Length;
        var alpha = Enumerable.Repeat(1.0 / k, k).ToArray();
        for (int iteration = 0; iteration < 200_000; iteration++)
        {
            var point = Combine(g, alpha);
            int vertex = Enumerable.Range(0, k).MinBy(i => TinyProblem.Dot(g[i], point));
            var d = g[vertex].Zip(point, (a, b) => a - b).ToArray();
            double dd = Norm2(d);
            if (dd == 0) break;
            double step = Math.Clamp(-TinyProblem.Dot(point, d) / dd, 0, 1);
            if (step < 1e-17) break;
            alpha = alpha.Select((a, i) => (1 - step) * a + (i == vertex ? step : 0)).ToArray();
        }
        return alpha;
    }

    /// <summary>IMTL-G from the paper's matrices D and U built of the vectors (three tasks: a 2×2 system).</summary>
    private static double[] PlainImtl(double[][] g) => Combine(g, PlainImtlCoefficients(g));

    private static double[] PlainImtlCoefficients(double[][] g)
    {
        var u = g.Select(v => v.Select(x => x / Math.Sqrt(Norm2(v))).ToArray()).ToArray();
        double[] Diff(double[] a, double[] b) => a.Zip(b, (x, y) => x - y).ToArray();
        double[][] d = [Diff(g[0], g[1]), Diff(g[0], g[2])], uu = [Diff(u[0], u[1]), Diff(u[0], u[2])];
        double m00 = TinyProblem.Dot(d[0], uu[0]), m01 = TinyProblem.Dot(d[0], uu[1]), m10 = TinyProblem.Dot(d[1], uu[0]), m11 = TinyProblem.Dot(d[1], uu[1]);
        double r0 = TinyProblem.Dot(g[0], uu[0]), r1 = TinyProblem.Dot(g[0], uu[1]);
        // α·M = r with M = [[m00, m01], [m10, m11]]: Cramer's rule on the transposed system.
        double det = m00 * m11 - m01 * m10;
        double a1 = (r0 * m11 - r1 * m10) / det, a2 = (r1 * m00 - r0 * m01) / det;
        return [1 - a1 - a2, a1, a2];
    }

    /// <summary>CAGrad on the vectors: the objective g_wᵀg_0 + c‖g_0‖·‖g_w‖ minimised by exponentiated gradient.</summary>
    private static double[] PlainCaGrad(double[][] g, double c)
    {
        int k = g.Length;
        var g0 = Combine(g, Enumerable.Repeat(1.0 / k, k).ToArray());
        double root = c * Math.Sqrt(Norm2(g0));
        var w = Enumerable.Repeat(1.0 / k, k).ToArray();
        for (int iteration = 0; iteration < 200_000; iteration++)
        {
            var gw = Combine(g, w);
            double norm = Math.Sqrt(Norm2(gw));
            var gradient = g.Select(gi => TinyProblem.Dot(gi, g0) + root * TinyProblem.Dot(gi, gw) / norm).ToArray();
            var next = w.Select((wi, i) => wi * Math.Exp(-0.5 * gradient[i] / Math.Sqrt(Norm2(g0)))).ToArray();
            double total = next.Sum();
            w = next.Select(v => v / total).ToArray();
        }
        var final = Combine(g, w);
        double lambda = root / Math.Sqrt(Norm2(final));
        return g0.Zip(final, (a, b) => (a + lambda * b) / (1 + c * c)).ToArray();
    }
}
