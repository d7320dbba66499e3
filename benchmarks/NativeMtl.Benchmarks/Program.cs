using BenchmarkDotNet.Running;
using NativeMtl.Benchmarks;

// `dotnet run -c Release --project benchmarks/NativeMtl.Benchmarks -- --filter '*'` runs every benchmark;
// `--list flat` lists them. `-- sgemm-peer N [RUNS]` times our sgemm alone for benchmarks/peers/sgemm_vs_openblas.sh.
if (args.Length > 0 && args[0] == "sgemm-peer") return SgemmPeer.Run(args[1..]);
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
return 0;
