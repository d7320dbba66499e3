using NativeMtl.Data;
using NativeMtl.Host;
using static NativeMtl.Tests.HostLayer.TrainTestKit;

namespace NativeMtl.Tests.HostLayer;

/// <summary><c>nativemtl data check</c> reads every sample of an MTAN-format folder and lists every defect; train runs
/// the same check before step 1.</summary>
public class DataCommandTests
{
    /// <summary>A 32×40 dataset of four training and two validation samples.</summary>
    private static TempFolder Dataset()
    {
        var temp = new TempFolder();
        WriteMtanFolder(temp["nyu"], "train", 4, seed: 1);
        WriteMtanFolder(temp["nyu"], "val", 2, seed: 2);
        return temp;
    }

    private static string File(TempFolder temp, string split, string task, int index) => Path.Combine(temp["nyu"], split, task, $"{index}.npy");

    [Fact]
    public void AValidFolderIsReportedWithItsSplitsAndSize()
    {
        using var temp = Dataset();
        var (code, output, error) = Run("data", "check", temp["nyu"]);
        Assert.Equal(0, code);
        Assert.DoesNotContain("nativemtl data check", error);
        Assert.Contains($"{temp["nyu"]}: all 6 samples valid (train 4 at 32×40, val 2 at 32×40; labels -1 or 0..12)", output);
    }

    [Fact]
    public void EveryDefectIsListedWithItsFileAndPosition()
    {
        using var temp = Dataset();
        var image = new float[32 * 40 * 3];
        image[(2 * 40 + 5) * 3 + 1] = 3.5f;
        Npy.Write(File(temp, "train", "image", 1), image, 32, 40, 3);
        var depth = new float[32 * 40];
        depth[7] = float.NaN;
        Npy.Write(File(temp, "val", "depth", 0), depth, 32, 40, 1);
        Npy.Write(File(temp, "train", "label", 3), new float[32 * 40].Select(_ => 13f).ToArray(), 32, 40);

        var (code, _, error) = Run("data", "check", temp["nyu"]);
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Equal(
        [
            $"nativemtl data check: {File(temp, "train", "image", 1)}: value 3.5 at row 2, column 5, channel 1 is not in [0, 1]",
            $"nativemtl data check: {File(temp, "train", "label", 3)}: label 13 at row 0, column 0 is neither -1 nor a class in 0..12",
            $"nativemtl data check: {File(temp, "val", "depth", 0)}: depth nan at row 0, column 7 is not a distance (0 marks a missing one)",
            $"nativemtl data check: {temp["nyu"]}: 3 defect(s) among 6 samples (train 4 at 32×40, val 2 at 32×40)",
        ], Lines(error).Where(l => l.StartsWith("nativemtl", StringComparison.Ordinal)));
    }

    [Fact]
    public void AMissingFileOfASplitIsOneDefect()
    {
        using var temp = Dataset();
        System.IO.File.Delete(File(temp, "val", "normal", 1));
        var (code, _, error) = Run("data", "check", temp["nyu"], "--split", "val");
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Contains($"nativemtl data check: {File(temp, "val", "normal", 1)}: missing ({File(temp, "val", "image", 1)} exists)", error);
    }

    [Fact]
    public void AFolderWithoutSplitsSaysWhatItExpected()
    {
        using var temp = new TempFolder();
        var (code, _, error) = Run("data", "check", temp.Path);
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Equal($"nativemtl data check: {temp.Path}: no split folder holding image/ (expected e.g. {Path.Combine(temp.Path, "train", "image")})", Assert.Single(Lines(error)));
    }

    [Fact]
    public void TrainChecksTheWholeDatasetBeforeStepOneAndCreatesNoRunFolder()
    {
        using var temp = Dataset();
        var normals = new float[32 * 40 * 3];
        normals[5] = float.PositiveInfinity;
        Npy.Write(File(temp, "train", "normal", 3), normals, 32, 40, 3);
        var (code, _, error) = Run("train", "--config", temp.Write("tiny.yaml", TinyConfig.Replace("  dataset: synthetic\n  height: 32\n  width: 40\n  train_size: 64\n  val_size: 4\n", "")),
            "--set", "data.dataset=mtan", "--set", $"data.path={temp["nyu"]}", "--out", temp["run"]);
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Equal($"nativemtl train: dataset {File(temp, "train", "normal", 3)}: value inf at row 0, column 1, channel 2 is not finite", Assert.Single(Lines(error)));
        Assert.False(Directory.Exists(temp["run"]));
    }
}
