using NativeMtl.Host.Search;

namespace NativeMtl.Tests.HostLayer;

public class SearchLogTests
{
    private static SearchChild Child(int index, double reward) =>
        new(index, [index, 1, 2], new Dictionary<string, IReadOnlyList<string>> { ["seg"] = ["{inputs: [0, 1], ops: [skip, skip], aggregator: sum}"] },
            reward, [("seg", "miou", reward)], $"children/{index:000}");

    [Fact]
    public void LoggedChildrenReadBackAsWritten()
    {
        using var folder = new TempFolder();
        using (var log = SearchLog.Open(folder["search.jsonl"]))
        {
            log.Append(Child(0, 0.25));
            log.AppendUpdate(0, 0.25);
            log.Append(Child(1, 0.5));
        }
        using var reopened = SearchLog.Open(folder["search.jsonl"]);
        var children = reopened.Children;
        Assert.Equal([0, 1], children.Select(c => c.Index));
        Assert.Equal([1, 1, 2], children[1].Tokens);
        Assert.Equal(0.5, children[1].Reward);
        Assert.Equal([("seg", "miou", 0.5)], children[1].Terms);
        Assert.Equal(["{inputs: [0, 1], ops: [skip, skip], aggregator: sum}"], children[1].Cells["seg"]);
        Assert.Equal("children/001", children[1].Folder);
    }

    [Fact]
    public void ATornLastLineIsDroppedAndTheNextChildFollowsTheLastWholeOne()
    {
        using var folder = new TempFolder();
        using (var log = SearchLog.Open(folder["search.jsonl"])) log.Append(Child(0, 0.25));
        var whole = File.ReadAllText(folder["search.jsonl"]);
        File.AppendAllText(folder["search.jsonl"], "{\"child\":1,\"tokens\":[1,");
        using (var log = SearchLog.Open(folder["search.jsonl"]))
        {
            Assert.Single(log.Children);
            log.Append(Child(1, 0.5));
        }
        Assert.StartsWith(whole + "{\"child\":1,\"tokens\":[1,1,2]", File.ReadAllText(folder["search.jsonl"]));
    }

    [Fact]
    public void ABrokenLineBeforeTheLastIsAnErrorNamingIt()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder["search.jsonl"], "{\"child\":0,\n{\"update\":0}\n");
        var e = Assert.Throws<NativeMtl.Host.Training.RunInputException>(() => SearchLog.Open(folder["search.jsonl"]));
        Assert.StartsWith($"{folder["search.jsonl"]} line 1: ", e.Message);
    }
}
