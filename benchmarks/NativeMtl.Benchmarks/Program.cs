using BenchmarkDotNet.Running;

// `dotnet run -c Release --project benchmarks/NativeMtl.Benchmarks -- --filter '*'` runs every benchmark;
// `--list flat` lists them.
BenchmarkSwitcher.FromAssembly(typeof(Program).Assembly).Run(args);
