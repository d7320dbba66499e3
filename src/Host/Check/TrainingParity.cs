using NativeMtl.Kernels;
using NativeMtl.Raw;
using Spectre.Console;

namespace NativeMtl.Host.Check;

/// <summary>
/// Twenty SGD-with-momentum steps of a small conv net (bias-free conv, batch norm, relu, max pool, 1×1 conv, bilinear
/// upsample, cross-entropy with ignored pixels; the net of the test suite's leak test) on the CPU and on the
/// device, from the same initial weights and batch. The losses of every step and the final weights must agree
/// within 1e-3 (normwise relative): the runs start equal and may drift only by rounding. The first convolution has
/// no bias: batch norm cancels it, so its gradient is rounding noise that two devices need not share.
/// </summary>
internal static class TrainingParity
{
    private const int Steps = 20;
    private const double Threshold = 1e-3;

    /// <summary>The trained tensors in the order <see cref="Train"/> returns them.</summary>
    private static readonly string[] TensorNames =
        ["conv1.weight", "bn.weight", "bn.bias", "conv2.weight", "conv2.bias", "bn.running_mean", "bn.running_var"];

    public static bool Run(Device device, IAnsiConsole console)
    {
        double[] cpuLosses, gpuLosses;
        double[][] cpuWeights, gpuWeights;
        try
        {
            (cpuLosses, cpuWeights) = Train(Device.Cpu);
            (gpuLosses, gpuWeights) = Train(device);
        }
        catch (Exception e) when (Failure.IsReportable(e))
        {
            console.MarkupLine($"[red]training: FAIL[/] {Markup.Escape(Failure.Describe(e))}");
            return false;
        }
        var table = new Table().Title($"training: {Steps} steps, CPU against {device}")
            .AddColumns("step", "CPU loss", $"{device} loss", "rel error", "result");
        bool allPass = true;
        for (int s = 0; s < Steps; s++)
        {
            var error = Comparison.Of([cpuLosses[s]], [gpuLosses[s]]);
            bool ok = error.MaxRel <= Threshold;
            allPass &= ok;
            if (s is 0 or 4 or 9 or 14 or Steps - 1 || !ok)
                table.AddRow($"{s + 1}", $"{cpuLosses[s]:F6}", $"{gpuLosses[s]:F6}", $"{error.MaxRel:E2}", ok ? "[green]pass[/]" : "[red]FAIL[/]");
        }
        for (int i = 0; i < TensorNames.Length; i++)
        {
            var error = Comparison.Of(cpuWeights[i], gpuWeights[i]);
            bool ok = error.MaxRel <= Threshold;
            allPass &= ok;
            table.AddRow($"final {TensorNames[i]}", "", "", $"{error.MaxRel:E2}", ok ? "[green]pass[/]" : "[red]FAIL[/]");
        }
        console.Write(table);
        return allPass;
    }

    private static (double[] Losses, double[][] Weights) Train(Device device)
    {
        using var outer = DisposeScope.Enter();
        var g = new Generator(11);
        Tensor[] parameters =
        [
            Tensors.Normal(new Shape(8, 3, 3, 3), g, std: 0.2),
            Tensors.Ones(new Shape(8)), Tensors.Zeros(new Shape(8)),
            Tensors.Normal(new Shape(4, 8, 1, 1), g, std: 0.2), Tensors.Zeros(new Shape(4)),
        ];
        parameters = parameters.Select(p => Ops.To(p, device)).ToArray();
        foreach (var p in parameters) p.RequiresGrad = true;
        var momentum = parameters.Select(Tensors.ZerosLike).ToArray();
        var runningMean = Tensors.Zeros(new Shape(8), device: device);
        var runningVar = Tensors.Ones(new Shape(8), device: device);
        var images = Ops.To(Tensors.Normal(new Shape(2, 3, 8, 8), new Generator(5)), device);
        var labels = Ops.To(Tensors.FromArray(Enumerable.Range(0, 128).Select(i => i % 5 == 0 ? -100 : i % 4).ToArray(), 2, 8, 8), device);

        var losses = new double[Steps];
        for (int step = 0; step < Steps; step++)
        {
            using var scope = DisposeScope.Enter();
            var p = parameters;
            var h = F.Conv2d(images, p[0], null, new Conv2dGeometry(PadH: 1, PadW: 1));
            h = F.Relu(F.BatchNorm2d(h, p[1], p[2], runningMean, runningVar, training: true));
            h = F.MaxPool2d(h, new Pool2dGeometry(2, 2, 2, 2));
            var logits = F.UpsampleBilinear2d(F.Conv2d(h, p[3], p[4]), images.Shape[2], images.Shape[3]);
            var loss = F.CrossEntropy(logits, labels);
            loss.Backward();
            for (int i = 0; i < p.Length; i++)
            {
                Ops.SgdStep(p[i], p[i].Grad!, momentum[i], new SgdOptions(0.05, Momentum: 0.9), step == 0);
                p[i].Grad = null;
            }
            losses[step] = loss.Item();
        }
        return (losses, parameters.Append(runningMean).Append(runningVar).Select(Comparison.Values).ToArray());
    }
}
