using NativeMtl.Models;

namespace NativeMtl.Tests.Models;

/// <summary>Small models and checks shared by the encoder, head and architecture tests.</summary>
internal static class ModelTestKit
{
    public static readonly TaskSpec[] FourTasks =
        [TaskSpec.Segmentation(5), TaskSpec.Depth(), TaskSpec.Normal(), TaskSpec.Curvature()];

    /// <summary>The small ResNet with narrow heads, so a forward and backward take milliseconds.</summary>
    public static ArchitectureOptions Small(IReadOnlyList<TaskSpec>? tasks = null) => new()
    {
        Tasks = tasks ?? FourTasks,
        EncoderOptions = new EncoderOptions { Widths = [8, 16, 32], Blocks = [1, 1, 1] },
        HeadOptions = new HeadOptions { HiddenChannels = 8 },
        Seed = 7,
    };

    public static NativeMtl.Tensor Input(int n, int height, int width, int channels = 3, ulong seed = 1) =>
        Tensors.Normal(new Shape(n, channels, height, width), new Generator(seed));

    /// <summary>Σ ⟨y, r⟩ with a fixed random r per output: unlike Σ y, it does not vanish behind batch norm.</summary>
    public static NativeMtl.Tensor Probe(IEnumerable<NativeMtl.Tensor> outputs, ulong seed = 11)
    {
        var generator = new Generator(seed);
        return outputs.Select(y => F.Sum(F.Mul(y, Tensors.Normal(y.Shape, generator, dtype: y.DType)))).Aggregate(F.Add);
    }

    /// <summary>Every parameter has a gradient of its own shape, and it is not all zeros.</summary>
    public static void AssertEveryParameterHasAGradient(Module module)
    {
        foreach (var (path, p) in module.NamedParameters())
        {
            var grad = p.Value.Grad;
            Assert.True(grad is not null, $"{path} has no gradient");
            Assert.Equal(p.Shape, grad.Shape);
            Assert.True(grad.ToArray<float>().Any(g => g != 0), $"{path}'s gradient is zero");
        }
    }

    public static T ModuleAt<T>(Module root, string path) where T : Module =>
        Assert.IsType<T>(root.NamedModules().Single(m => m.Path == path).Module);
}
