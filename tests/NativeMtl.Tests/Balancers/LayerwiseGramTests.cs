using NativeMtl.Balancers;
using NativeMtl.Raw;

namespace NativeMtl.Tests.Balancers;

/// <summary>Option <c>gram: layerwise</c> (DESIGN §14): the Gram matrix from one stacked backward pass, then one pass of
/// Σ c_k·L_k, instead of K passes into a K×P matrix; the same steps either way.</summary>
public class LayerwiseGramTests
{
    /// <summary>Two steps of a balancer in one mode on a fresh tiny model: its weights, and every parameter after them.</summary>
    private static (double[] Weights, double[] Parameters, int EncoderPasses) TwoSteps(string name, string gram, params (string, object)[] options)
    {
        using var model = new TinyModel(["a", "b", "c"]);
        var objective = new TinyObjective(model);
        using var step = TinyProblem.Step(model, BalancerRegistry.Create(name, TinyProblem.Options([("gram", gram), .. options])));
        using var scope = DisposeScope.Enter();
        step.Run(objective);
        var result = step.Run(objective);
        var parameters = model.ParameterGroups.All.SelectMany(g => g.Values.ToArray<double>()).ToArray();
        return (TinyProblem.Values(result.Weights), parameters, result.EncoderPasses);
    }

    /// <summary>Every balancer that takes option gram.</summary>
    public static TheoryData<string> GramBased { get; } = [.. GradientSurgeryTests.PlainChecked,
        "nash_mtl", "pareto_mtl", "gradsim", "auxilight"];

    [Theory]
    [MemberData(nameof(GramBased))]
    public void LayerwiseTakesTheSameStepsAsTheMatrixInTwoEncoderPasses(string name)
    {
        var matrix = TwoSteps(name, "matrix");
        var layerwise = TwoSteps(name, "layerwise");
        // CAGrad's dual is solved iteratively to 1e-7 (as against its plain implementation); the Gram matrices differ in
        // their last bits (the inner products summed parameter by parameter), which its solve does not hide.
        double tolerance = name == "cagrad" ? 1e-7 : 1e-10;
        TestData.Close(matrix.Weights, layerwise.Weights, tolerance);
        TestData.Close(matrix.Parameters, layerwise.Parameters, tolerance / 100);
        Assert.NotEqual(2, matrix.EncoderPasses);
        Assert.Equal(2, layerwise.EncoderPasses);
    }

    /// <summary>IMTL-H scales the Gram matrix and its heads by the learned e^(s_k): the same through either mode.</summary>
    [Fact]
    public void ImtlHTakesTheSameStepsLayerwise()
    {
        var matrix = TwoSteps("imtl", "matrix", ("variant", "h"));
        var layerwise = TwoSteps("imtl", "layerwise", ("variant", "h"));
        TestData.Close(matrix.Parameters, layerwise.Parameters, 1e-12);
    }

    [Theory]
    [InlineData("mgda", "at", "feature", "at: feature")]
    [InlineData("auxilight", "mode", "jvp", "mode: jvp")]
    public void LayerwiseIsRefusedWhereTheMethodDoesNotTakeTheSharedParametersGradients(string name, string key, string value, string named)
    {
        var error = Assert.Throws<ArgumentException>(() => BalancerRegistry.Create(name, TinyProblem.Options(("gram", "layerwise"), (key, value))));
        Assert.Equal($"balancer {name}: gram: layerwise is for the gradients of the shared parameters and cannot be combined with {named}", error.Message);
    }
}
