using NativeMtl.Raw;

namespace NativeMtl;

/// <summary>How far an analytic gradient is from central finite differences, for one input.</summary>
public readonly record struct GradCheckResult(string Input, double MaxAbsError, double Scale)
{
    /// <summary>Largest absolute error relative to the largest gradient magnitude (so entries near zero do
    /// not dominate).</summary>
    public double RelativeError => Scale == 0 ? MaxAbsError : MaxAbsError / Scale;

    public override string ToString() => $"{Input}: relative error {RelativeError:E2} (max abs {MaxAbsError:E2}, scale {Scale:E2})";
}

/// <summary>Checks backward rules against central finite differences, in Float64 on the CPU.</summary>
public static class GradCheck
{
    /// <summary>Compares d(Σ r·f(inputs))/d(input) from autograd with (L(x + eps) − L(x − eps)) / 2eps for every
    /// element of every input that requires gradients; r is a fixed random projection so that every output
    /// element matters.</summary>
    public static GradCheckResult[] Run(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, ulong seed = 7)
    {
        RequireFloat64(inputs);
        using var scope = DisposeScope.Enter();
        var checkedInputs = Enumerable.Range(0, inputs.Length).Where(i => inputs[i].RequiresGrad).ToArray();
        Tensor projection;
        Tensor[] analytic;
        {
            var y = f(inputs);
            projection = Tensors.Normal(y.Shape, new Generator(seed), dtype: DType.Float64);
            var loss = F.Sum(F.Mul(y, projection));
            analytic = Autograd.Grad([loss], checkedInputs.Select(i => inputs[i]).ToArray());
        }

        double Evaluate(int index, double[] values)
        {
            using var inner = DisposeScope.Enter();
            using var _ = GradMode.NoGrad();
            var xs = (Tensor[])inputs.Clone();
            xs[index] = Tensors.FromArray(values, inputs[index].Shape);
            return Ops.Sum(Ops.Mul(f(xs), projection)).Item();
        }

        var results = new GradCheckResult[checkedInputs.Length];
        for (int k = 0; k < checkedInputs.Length; k++)
        {
            int i = checkedInputs[k];
            var values = inputs[i].ToArray<double>();
            var grad = analytic[k].ToArray<double>();
            double maxError = 0, scale = 0;
            for (int j = 0; j < values.Length; j++)
            {
                double original = values[j];
                values[j] = original + eps;
                double plus = Evaluate(i, values);
                values[j] = original - eps;
                double minus = Evaluate(i, values);
                values[j] = original;
                double numeric = (plus - minus) / (2 * eps);
                maxError = Math.Max(maxError, Math.Abs(numeric - grad[j]));
                scale = Math.Max(scale, Math.Max(Math.Abs(numeric), Math.Abs(grad[j])));
            }
            results[k] = new GradCheckResult(inputs[i].Name ?? $"input {i}", maxError, scale);
        }
        return results;
    }

    /// <summary>
    /// Forward mode against central differences: with a random direction v for every input that requires gradients,
    /// the tangent of f(x) along v must equal (f(x + eps·v) − f(x − eps·v)) / 2eps. Returns the largest error relative
    /// to the largest magnitude of either.
    /// </summary>
    public static GradCheckResult Jvp(Func<Tensor[], Tensor> f, Tensor[] inputs, double eps = 1e-6, ulong seed = 11)
    {
        RequireFloat64(inputs);
        using var scope = DisposeScope.Enter();
        var directions = Directions(inputs, seed);
        var tangent = TangentAlong(f, inputs, directions).ToArray<double>();
        double[] Shifted(double sign)
        {
            using var inner = DisposeScope.Enter();
            using var _ = GradMode.NoGrad();
            var xs = inputs.Select((x, i) => directions[i] is { } v ? Ops.Add(x, Ops.MulAdd(v, sign * eps)) : x).ToArray();
            return f(xs).ToArray<double>();
        }
        var plus = Shifted(+1);
        var minus = Shifted(-1);
        double maxError = 0, scale = 0;
        for (int j = 0; j < tangent.Length; j++)
        {
            double numeric = (plus[j] - minus[j]) / (2 * eps);
            maxError = Math.Max(maxError, Math.Abs(numeric - tangent[j]));
            scale = Math.Max(scale, Math.Max(Math.Abs(numeric), Math.Abs(tangent[j])));
        }
        return new GradCheckResult("tangent", maxError, scale);
    }

    /// <summary>
    /// Forward and reverse mode as each other's transpose: ⟨u, J·v⟩, with J·v from tangents, against ⟨Jᵀ·u, v⟩, with
    /// Jᵀ·u from a backward pass, for random u and v. Returns their difference relative to the larger of the two.
    /// </summary>
    public static GradCheckResult Adjoint(Func<Tensor[], Tensor> f, Tensor[] inputs, ulong seed = 13)
    {
        RequireFloat64(inputs);
        using var scope = DisposeScope.Enter();
        var directions = Directions(inputs, seed);
        var jv = TangentAlong(f, inputs, directions);
        var u = Tensors.Normal(jv.Shape, new Generator(seed + 1), dtype: DType.Float64);
        double forward = Ops.Sum(Ops.Mul(u, jv)).Item();
        var checkedInputs = Enumerable.Range(0, inputs.Length).Where(i => directions[i] is not null).ToArray();
        var jtu = Autograd.Grad([F.Sum(F.Mul(f(inputs), u))], checkedInputs.Select(i => inputs[i]).ToArray());
        double reverse = checkedInputs.Select((i, k) => Ops.Sum(Ops.Mul(jtu[k], directions[i]!)).Item()).Sum();
        return new GradCheckResult("⟨u, Jv⟩ − ⟨Jᵀu, v⟩", Math.Abs(forward - reverse), Math.Max(Math.Abs(forward), Math.Abs(reverse)));
    }

    /// <summary>A random direction for every input that requires gradients, null for the others.</summary>
    private static Tensor?[] Directions(Tensor[] inputs, ulong seed) =>
        inputs.Select((x, i) => x.RequiresGrad ? Tensors.Normal(x.Shape, new Generator(seed + (ulong)i), dtype: DType.Float64) : null).ToArray();

    /// <summary>f's output tangent with the inputs' tangents set to the directions (and cleared again afterwards).</summary>
    private static Tensor TangentAlong(Func<Tensor[], Tensor> f, Tensor[] inputs, Tensor?[] directions)
    {
        try
        {
            for (int i = 0; i < inputs.Length; i++)
                if (directions[i] is { } v) inputs[i].Tangent = Ops.Alias(v);
            var y = f(inputs);
            return Ops.Clone(y.Tangent ?? throw new InvalidOperationException($"the function's output {y.Shape} carries no tangent"));
        }
        finally
        {
            foreach (var x in inputs) x.Tangent = null;
        }
    }

    private static void RequireFloat64(Tensor[] inputs)
    {
        foreach (var x in inputs)
            if (x.RequiresGrad && (x.DType != DType.Float64 || x.Device != Device.Cpu))
                throw new ArgumentException($"GradCheck: input {x.Name ?? ""}{x.Shape} must be Float64 on the CPU, not {x.DType} on {x.Device}");
    }
}
