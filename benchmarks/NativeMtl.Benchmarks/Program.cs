using BenchmarkDotNet.Running;
using NativeMtl.Benchmarks;

// `dotnet run -c Release --project benchmarks/NativeMtl.Benchmarks -- --filter '*'` runs every benchmark;
// `--list flat` lists them. Two console modes sit beside BenchmarkDotNet: `scenes` times the synthetic scene
// generator (images/s), and `scene-samples FOLDER [INDEX]` writes one scene's panels as PNG files.
switch (args)
{
    case ["scenes", .. var rest]:
        SceneThroughput.Run(rest);
        break;
    case ["scene-samples", var folder, .. var rest]:
        SceneThroughput.WriteSamples(folder, rest is [var index, ..] ? long.Parse(index) : 0);
        break;
    default:
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        break;
}
