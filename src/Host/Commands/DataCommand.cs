using System.CommandLine;
using System.Globalization;
using NativeMtl.Data;

namespace NativeMtl.Host.Commands;

/// <summary>
/// <c>nativemtl data check PATH</c>: reads every sample of an MTAN-format folder as training would and reports every
/// defect (a missing or misshapen file, a label outside the classes, an image value outside [0, 1], a negative or
/// non-finite depth, a non-finite normal), so that a bad sample is found up front, not hours into a run.
/// Exit codes: 0 every sample is valid, 4 defects were found, 2 bad arguments.
/// </summary>
public static class DataCommand
{
    /// <summary>Defects printed one per line before the rest are only counted.</summary>
    private const int DefectsShown = 20;

    public static Command Create(TextWriter output, TextWriter error)
    {
        var path = new Argument<string>("PATH") { Description = "an MTAN-format dataset folder: PATH/<split>/{image,label,depth,normal}/<i>.npy" };
        var classes = Cli.WholeNumber("--classes", "segmentation classes; labels must be -1 or 0..N-1 (default 13, NYUv2's)", "N");
        var splits = new Option<string[]>("--split")
        {
            Description = "a split to check (repeatable; default every subfolder holding image/)",
            HelpName = "NAME",
            Arity = ArgumentArity.ZeroOrMore,
        };
        var check = new Command("check", "validate every sample of an MTAN-format dataset folder");
        check.Arguments.Add(path);
        check.Options.Add(classes);
        check.Options.Add(splits);
        check.SetAction(parsed => Check(parsed.GetValue(path)!, parsed.GetValue(splits) ?? [], parsed.GetValue(classes) ?? 13, output, error));
        var data = new Command("data", "work with datasets");
        data.Subcommands.Add(check);
        return data;
    }

    internal static int Check(string root, IReadOnlyList<string> splits, int classes, TextWriter output, TextWriter error)
    {
        if (classes < 1) return Fail(error, $"--classes must be at least 1, not {classes}", ExitCodes.Usage);
        if (!Directory.Exists(root)) return Fail(error, $"{root}: no such folder", ExitCodes.InvalidInput);
        if (splits.Count == 0) splits = MtanFolderCheck.Splits(root);
        if (splits.Count == 0) return Fail(error, $"{root}: no split folder holding image/ (expected e.g. {Path.Combine(root, "train", "image")})", ExitCodes.InvalidInput);

        output.WriteLine($"checking {root}: {string.Join(", ", splits)}");
        var result = Run(root, splits, classes, error);
        foreach (var defect in result.Defects.Take(DefectsShown)) error.WriteLine($"nativemtl data check: {defect.Message.ReplaceLineEndings(" ")}");
        if (result.Defects.Count > DefectsShown) error.WriteLine($"nativemtl data check: … and {result.Defects.Count - DefectsShown} more");

        string sizes = string.Join(", ", result.Splits.Select(s => $"{s.Split} {s.Samples:N0}" + (s.Samples > 0 ? $" at {s.Height}×{s.Width}" : "")));
        if (!result.IsValid) return Fail(error, $"{root}: {result.Defects.Count:N0} defect(s) among {result.Samples:N0} samples ({sizes})", ExitCodes.InvalidInput);
        output.WriteLine($"{root}: all {result.Samples:N0} samples valid ({sizes}; labels -1 or 0..{classes - 1})");
        return ExitCodes.Success;
    }

    /// <summary>The check, with its progress on <paramref name="progress"/> every tenth of the samples.</summary>
    internal static MtanCheckResult Run(string root, IReadOnlyList<string> splits, int classes, TextWriter progress)
    {
        int lastTenth = 0;
        return MtanFolderCheck.Run(root, splits, classes, Environment.ProcessorCount, (done, total) =>
        {
            int tenth = (int)(done * 10 / total);
            if (tenth <= Volatile.Read(ref lastTenth) || Interlocked.Exchange(ref lastTenth, tenth) >= tenth) return;
            lock (progress) progress.WriteLine(string.Create(CultureInfo.InvariantCulture, $"  checked {done:N0} of {total:N0} samples"));
        });
    }

    private static int Fail(TextWriter error, string message, int code)
    {
        error.WriteLine($"nativemtl data check: {message}");
        return code;
    }
}
