using NativeMtl.Host;

namespace NativeMtl.Tests.HostLayer;

/// <summary>`model.init_from` in a run: a trained run's weights start a new one, and a file that does not fit is one line.</summary>
public class InitFromTests
{
    [Fact]
    public void ARunStartsItsEncoderFromAnotherRunsModelAndSaysWhatItLoaded()
    {
        using var folder = new TempFolder();
        folder.Write("tiny.yaml", TrainTestKit.TinyConfig);
        Assert.Equal(0, TrainTestKit.Run("train", "--config", folder["tiny.yaml"], "--set", "training.steps=2", "--out", folder["first"]).Code);
        var (code, output, error) = TrainTestKit.Run("train", "--config", folder["tiny.yaml"], "--set", "training.steps=2", "--seed", "9",
            "--set", $"model.init_from={{file: {folder["first"]}/model.safetensors, prefix: encoder.}}", "--out", folder["second"]);
        Assert.True(code == 0, output + error);
        Assert.Contains($"init_from {folder["first"]}/model.safetensors: loaded ", output);
        Assert.Contains("left at their initialisation: none; not used from the file: ", output);
        Assert.Contains("init_from:\n    file: ", File.ReadAllText(Path.Combine(folder["second"], "config.yaml")));
    }

    [Fact]
    public void ARelativePathIsTheConfigFilesInTheFileAndTheCurrentFoldersInAnOverride()
    {
        using var folder = new TempFolder();
        var file = folder.Write("run.yaml", "model: {init_from: w.safetensors}\n");
        Assert.Equal(folder["w.safetensors"], NativeMtl.Host.Config.ConfigReader.Read(file, []).Model.InitFrom!.File);
        var set = NativeMtl.Host.Config.ConfigReader.Read(file, [NativeMtl.Host.Config.ConfigOverride.Parse("model.init_from={file: w.safetensors}")]);
        Assert.Equal(Path.Combine(Directory.GetCurrentDirectory(), "w.safetensors"), set.Model.InitFrom!.File);
    }

    [Fact]
    public void AMissingFileIsOneLineNamingTheField()
    {
        using var folder = new TempFolder();
        folder.Write("tiny.yaml", TrainTestKit.TinyConfig);
        var (code, _, error) = TrainTestKit.Run("train", "--config", folder["tiny.yaml"], "--set", $"model.init_from={folder["none.safetensors"]}", "--out", folder["run"]);
        Assert.Equal(ExitCodes.InvalidInput, code);
        Assert.Equal($"nativemtl train: model.init_from: checkpoint {folder["none.safetensors"]}: the file does not exist", error.Trim());
    }
}
