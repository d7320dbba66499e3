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
        foreach (var x in inputs)
            if (x.RequiresGrad && (x.DType != DType.Float64 || x.Device != Device.Cpu))
                throw new ArgumentException($"GradCheck: input {x.Name ?? ""}{x.Shape} must be Float64 on the CPU, not {x.DType} on {x.Device}");
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
}
