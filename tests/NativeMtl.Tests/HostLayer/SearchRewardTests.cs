using NativeMtl.Host.Search;
using NativeMtl.Host.Training;

namespace NativeMtl.Tests.HostLayer;

public class SearchRewardTests
{
    private const string Final = """
        {
          "metrics": {
            "seg": {"miou": 0.25, "pixel_accuracy": 0.64, "loss": 1.5},
            "depth": {"abs_err": 0.3, "delta1": 0.5, "loss": 0.2},
            "curvature": {"loss": 0.1}
          },
          "metric_schema": {
            "miou": {"higher_is_better": true}, "pixel_accuracy": {"higher_is_better": true}, "loss": {"higher_is_better": false},
            "abs_err": {"higher_is_better": false}, "delta1": {"higher_is_better": true}
          }
        }
        """;

    [Fact]
    public void TheRewardIsTheGeometricMeanOfTheMainTasksUpwardMetrics()
    {
        using var folder = new TempFolder();
        // seg alone: √(0.25 · 0.64) = 0.4; with depth: ∛(0.25 · 0.64 · 0.5) = ∛0.08.
        Assert.Equal(0.4, SearchReward.Of(folder.Write("final.json", Final), ["seg"]).Reward, 12);
        var (reward, terms) = SearchReward.Of(folder["final.json"], ["seg", "depth"]);
        Assert.Equal(Math.Cbrt(0.08), reward, 12);
        Assert.Equal([("seg", "miou", 0.25), ("seg", "pixel_accuracy", 0.64), ("depth", "delta1", 0.5)], terms);
    }

    [Fact]
    public void AMainTaskWithoutAnUpwardMetricCannotBeRewarded()
    {
        using var folder = new TempFolder();
        var e = Assert.Throws<RunInputException>(() => SearchReward.Of(folder.Write("final.json", Final), ["curvature"]));
        Assert.Equal($"{folder["final.json"]}: the main task 'curvature' has no metric that improves upwards (it has loss), so it cannot enter the reward", e.Message);
    }

    [Fact]
    public void AZeroMetricMakesTheRewardZero()
    {
        using var folder = new TempFolder();
        Assert.Equal(0, SearchReward.Of(folder.Write("final.json", Final.Replace("0.25", "0")), ["seg"]).Reward);
    }
}
