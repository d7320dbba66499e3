using BenchmarkDotNet.Running;
using NativeMtl.Benchmarks;

// `dotnet run -c Release --project benchmarks/NativeMtl.Benchmarks -- --filter '*'` runs every benchmark;
// `--list flat` lists them. Console modes beside BenchmarkDotNet: `sgemm-peer N [RUNS]` times our sgemm alone for
// benchmarks/peers/sgemm_vs_openblas.sh; `scenes` times the synthetic scene generator (images/s); and
// `scene-samples FOLDER [INDEX]` writes one scene's panels as PNG files; `memory-flat STEPS [BALANCER ...]` trains
// the small net for STEPS steps per balancer and reports the live tensor bytes at every step start.
switch (args)
{
    case ["sgemm-peer", .. var rest]:
        return SgemmPeer.Run(rest);
    case ["scenes", .. var rest]:
        SceneThroughput.Run(rest);
        break;
    case ["memory-flat", .. var rest]:
        return MemoryFlatness.Run(rest);
    case ["scene-samples", var folder, .. var rest]:
        SceneThroughput.WriteSamples(folder, rest is [var index, ..] ? long.Parse(index) : 0);
        break;
    default:
        BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
        break;
}
return 0;
