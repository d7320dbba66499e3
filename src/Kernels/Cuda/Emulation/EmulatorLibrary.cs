using System.ComponentModel;
using System.Diagnostics;

namespace NativeMtl.Kernels.Cuda.Emulation;

/// <summary>
/// Builds the host library of a <see cref="HostEmulator"/> with g++: each runtime module's CUDA C compiled as C++ with
/// NMTL_EMU defined (so its NMTL_EXPORTs register its kernels) and its own -D, -U and -I options, then linked with
/// kernels/emu/emu.cpp, which holds the emulator's runtime and every engine kernel. The library is kept in the kernel
/// cache under a hash of every source, option and flag, so a later run loads it without g++.
/// </summary>
internal static class EmulatorLibrary
{
    private const string Compiler = "g++";

    private static readonly string[] Flags = ["-O2", "-std=c++20", "-fPIC", "-pthread", "-fno-diagnostics-show-caret", "-fdiagnostics-color=never"];

    /// <summary>The file extensions of the kernels' sources, which the library's hash covers.</summary>
    private static readonly string[] SourcePatterns = ["*.cu", "*.cuh", "*.cpp", "*.h"];

    /// <summary>The path of the library for these sources, built unless the cache has it.</summary>
    public static string Find(string kernelsFolder, string cacheFolder, IReadOnlyList<RuntimeModule> modules)
    {
        var emulator = Path.Join(kernelsFolder, "emu", "emu.cpp");
        if (!File.Exists(emulator))
            throw new DirectoryNotFoundException($"the kernels' sources are not in {kernelsFolder} (emu/emu.cpp is missing): " +
                "NativeMtl.Kernels copies them beside the application under nativemtl-kernels/; pass kernelsFolder to use others");
        var library = Path.Join(cacheFolder, KernelCache.FileName("emulator", "so", HashedParts(kernelsFolder, modules)));
        if (!File.Exists(library))
            KernelCache.Publish(library, temporary => Build(emulator, kernelsFolder, modules, temporary));
        return library;
    }

    /// <summary>The flags, then each kernel source's path (relative to the folder) and text, then each module's name,
    /// source and options.</summary>
    private static IEnumerable<string> HashedParts(string kernelsFolder, IReadOnlyList<RuntimeModule> modules)
    {
        var sources = SourcePatterns.SelectMany(pattern => Directory.EnumerateFiles(kernelsFolder, pattern, SearchOption.AllDirectories))
            .Select(path => Path.GetRelativePath(kernelsFolder, path)).Order(StringComparer.Ordinal);
        return Flags
            .Concat(sources.SelectMany(relative => new[] { relative, File.ReadAllText(Path.Join(kernelsFolder, relative)) }))
            .Concat(modules.SelectMany(m => new[] { m.Name, m.Source! }.Concat(m.CompileOptions)));
    }

    private static void Build(string emulator, string kernelsFolder, IReadOnlyList<RuntimeModule> modules, string library)
    {
        var scratch = Directory.CreateTempSubdirectory("nativemtl-emulator-");
        try
        {
            var objects = new List<string>();
            foreach (var module in modules)
            {
                var source = Path.Join(scratch.FullName, $"{module.Name}.cu");
                File.WriteAllText(source, module.Source);
                objects.Add(Path.ChangeExtension(source, ".o"));
                Run($"runtime module '{module.Name}'", [.. Flags, "-DNMTL_EMU=1", $"-I{kernelsFolder}", .. EmulatedOptions(module), "-x", "c++", "-c", source, "-o", objects[^1]]);
            }
            Run("the emulator library", [.. Flags, "-shared", "-o", library, emulator, .. objects]);
        }
        finally
        {
            scratch.Delete(recursive: true);
        }
    }

    /// <summary>The module's options that mean the same to g++ as to NVRTC: macros and include folders.</summary>
    private static IEnumerable<string> EmulatedOptions(RuntimeModule module) =>
        module.CompileOptions.Where(o => o.StartsWith("-D", StringComparison.Ordinal) || o.StartsWith("-U", StringComparison.Ordinal) || o.StartsWith("-I", StringComparison.Ordinal));

    /// <summary>Runs g++ in this process's working folder, against which a module's own relative -I folders are meant
    /// (as NVRTC takes them); its output is the error when it fails.</summary>
    private static void Run(string what, string[] arguments)
    {
        var start = new ProcessStartInfo(Compiler, arguments)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
            // Plain ASCII quotes in the diagnostics, whatever the locale: the output goes into an exception message.
            Environment = { ["LC_ALL"] = "C" },
        };
        Process process;
        try
        {
            process = Process.Start(start)!;
        }
        catch (Win32Exception e)
        {
            throw new InvalidOperationException($"the host emulator builds {what} with {Compiler}, which was not found on the PATH ({e.Message}); install it (Debian and Ubuntu: apt-get install g++)", e);
        }
        using (process)
        {
            var output = process.StandardOutput.ReadToEndAsync();
            var errors = process.StandardError.ReadToEndAsync();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new InvalidOperationException($"{Compiler} failed to build {what} for the host emulator: " +
                    $"{(output.Result + errors.Result).Trim().ReplaceLineEndings(" | ")}");
        }
    }
}
